import { ProblemError } from '../../common/api';
import { findModelByProductType } from '../../common/device-table';
import { passcodeGuidance, type PasscodeGuidance } from '../../common/passcode-guidance';
import type { RegisterCommand } from './cli-context';
import { printProblem, printResult } from './cli-output';
import { settledSnapshot } from './devices-command';
import { EXIT } from './exit-codes';
import { phonesMatching } from './phone-ids';

type PasscodeGuideOptions = { device?: string; ios?: string; phone?: string };

const IOS_VERSION = /^\d{1,2}(\.\d{1,2}){0,2}$/;
const PRODUCT_TYPE = /^iPhone\d{1,2},\d{1,2}$/;

export function formatPasscodeGuidance(guidance: PasscodeGuidance, about: string): string {
  return [
    `The new passcode (${about})`,
    ...guidance.steps.map((step) => `  • ${step}`),
    `  • ${guidance.notInBackup}`,
    `  • ${guidance.screenTime}`,
    `  • ${guidance.iCloudBackup}`,
  ].join('\n');
}

/** `lifeline passcode-guide --device iPhone6,1 --ios 12.5.8` (or `--phone ID` of a connected phone): what to do about the passcode after a restore. */
export const registerPasscodeGuideCommand: RegisterCommand = (program, { withEngine }) => {
  program
    .command('passcode-guide')
    .description('after a restore: where the passcode setting is on this model and iOS, what a backup does not bring back')
    .option('--device <productType>', 'the model as Apple names it, e.g. iPhone6,1 (`lifeline devices` shows it)')
    .option('--ios <version>', 'the iOS version the phone runs now, e.g. 12.5.8')
    .option('--phone <id>', 'a connected phone, by the id `lifeline devices` shows (instead of --device and --ios)')
    .action((options: PasscodeGuideOptions) =>
      withEngine(async (api, output) => {
        let productType = options.device ?? null;
        let ios = options.ios ?? null;
        if (options.phone !== undefined) {
          const matches = phonesMatching((await settledSnapshot(api)).phones, options.phone);
          const phone = matches.length === 1 ? matches[0] : undefined;
          if (!phone) {
            printProblem(
              output,
              new ProblemError(matches.length > 1 ? 'backup-ambiguous-phone' : 'backup-no-phone', { wanted: options.phone }),
            );
            return EXIT.noDevice;
          }
          productType ??= phone.model.productType;
          ios ??= phone.iosVersion;
        }
        if (productType !== null && !PRODUCT_TYPE.test(productType)) {
          printProblem(
            output,
            new ProblemError('usage', {
              option: `--device ${productType.slice(0, 40)}`,
              allowed: ['a model as Apple names it, like iPhone6,1'],
            }),
          );
          return EXIT.usage;
        }
        if (ios !== null && !IOS_VERSION.test(ios)) {
          printProblem(output, new ProblemError('usage', { option: `--ios ${ios.slice(0, 40)}`, allowed: ['a version like 12.5.8'] }));
          return EXIT.usage;
        }
        const guidance = passcodeGuidance(ios, productType);
        const model = productType !== null ? (findModelByProductType(productType)?.name ?? productType) : 'any iPhone';
        printResult(output, { productType, iosVersion: ios, ...guidance }, () =>
          formatPasscodeGuidance(guidance, `${model}, ${ios !== null ? `iOS ${ios}` : 'any iOS'}`),
        );
        return EXIT.ok;
      }),
    );
};
