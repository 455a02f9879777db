import { ProblemError, type LifelineApi, type RestoreRamdiskResult, type RestoreToRamdiskRequest } from '../../common/api';
import type { RegisterCommand } from './cli-context';
import { printProblem, printResult, type Output } from './cli-output';
import { EXIT } from './exit-codes';
import { followJob } from './follow-job';
import { personPath } from './person-path';
import { namesPhone } from './phone-ids';

type RestoreOptions = { ipsw?: string; latest: boolean; ecid?: string; phone?: string; until: string };

function resultProse(result: RestoreRamdiskResult): string {
  const lines = [`The phone is running the restore ramdisk of iOS ${result.firmware.version} (${result.firmware.build}) — restore mode, protocol ${result.protocolVersion ?? 'unknown'}.`];
  for (const stage of result.stages) lines.push(`  ${stage.stage.padEnd(13)} ${stage.ms.toFixed(0)} ms`);
  lines.push('The rest of the restore (erasing and installing iOS) is not in this version of Lifeline yet.');
  return lines.join('\n');
}

/** `--phone` names a phone in DFU / recovery mode by the id `dfu-info --json` prints (or its ECID, whole or masked): its ECID. */
async function ecidForPhone(api: LifelineApi, output: Output, wanted: string): Promise<{ ecid: string } | { exit: number }> {
  const phones = await api.invoke('dfu.info', { showEcid: true });
  const matches = phones.filter((phone) => phone.ecid !== undefined && namesPhone({ ecid: BigInt(`0x${phone.ecid}`) }, wanted));
  const [match] = matches;
  if (matches.length === 1 && match?.ecid !== undefined) return { ecid: match.ecid };
  printProblem(output, new ProblemError(matches.length > 1 ? 'restore-which-phone' : 'restore-no-phone', { wanted }));
  return { exit: EXIT.noDevice };
}

async function run(api: LifelineApi, output: Output, signal: AbortSignal, request: RestoreToRamdiskRequest): Promise<number> {
  const ending = await followJob(api, output, signal, () => api.invoke('restore.toRamdisk', request));
  if (ending.state === 'succeeded') {
    const result = ending.summary.result as RestoreRamdiskResult;
    printResult(output, result, () => resultProse(result));
    return EXIT.ok;
  }
  if (ending.state === 'cancelled') {
    printResult(output, { cancelled: true }, () => 'Cancelled before anything was sent to the phone.');
    return EXIT.cancelled;
  }
  printProblem(output, { problem: ending.problem });
  return EXIT.failed;
}

export const registerRestoreCommand: RegisterCommand = (program, { withEngine, signal }) => {
  program
    .command('restore')
    .description('restore a phone in DFU or recovery mode (this version stops once the restore ramdisk runs)')
    .option('--ipsw <file>', 'use this .ipsw file', (value: string) => personPath(value))
    .option('--latest', 'use the latest signed firmware for the phone (downloaded if needed)', false)
    .option('--ecid <ecid>', 'the phone’s ECID in hex, when several phones are connected')
    .option('--phone <id>', 'the phone, by the phoneId `lifeline dfu-info --json` prints (or its ECID as shown), when several are connected')
    .requiredOption('--until <stage>', 'where to stop: ramdisk (the only stage so far)')
    .action((options: RestoreOptions) =>
      withEngine(async (api, output) => {
        if (options.until !== 'ramdisk') {
          printProblem(output, new ProblemError('restore-until', { until: options.until }));
          return EXIT.usage;
        }
        if (options.ipsw && options.latest) {
          printProblem(output, new ProblemError('restore-firmware-choice'));
          return EXIT.usage;
        }
        if (options.phone !== undefined && options.ecid !== undefined) {
          printProblem(output, new ProblemError('restore-phone-choice'));
          return EXIT.usage;
        }
        const chosen = options.phone !== undefined ? await ecidForPhone(api, output, options.phone) : { ecid: options.ecid };
        if ('exit' in chosen) return chosen.exit;
        const { ecid } = chosen;
        const request: RestoreToRamdiskRequest = { until: 'ramdisk', ...(options.ipsw ? { ipsw: options.ipsw } : {}), ...(options.latest ? { latest: true } : {}), ...(ecid ? { ecid } : {}) };
        return run(api, output, signal, request);
      }),
    );
};
