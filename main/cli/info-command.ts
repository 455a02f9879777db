import { printResult } from './cli-output';
import type { RegisterCommand } from './cli-context';
import { EXIT } from './exit-codes';

export const registerInfoCommand: RegisterCommand = (program, { withEngine }) => {
  program
    .command('info')
    .description('show the Lifeline version and platform')
    .action(() =>
      withEngine(async (api, output) => {
        const info = await api.invoke('app.info', {});
        printResult(output, info, () => `${info.name} ${info.version} on ${info.platform}${info.demo ? ' (practice mode)' : ''}`);
        return EXIT.ok;
      }),
    );
};
