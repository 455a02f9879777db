import { usbBackendWords, type UsbStatus } from '../../common/phone';
import { printResult } from './cli-output';
import type { RegisterCommand } from './cli-context';
import { EXIT } from './exit-codes';

/** How recovery/DFU phones are reached here, and what to do when they are not (docs/protocols/windows-apple-driver.md#bus-choice). */
export function describeUsbAccess(usb: UsbStatus): string {
  const via = usb.backend ? usbBackendWords(usb.backend) : 'USB';
  if (usb.state === 'ready') return `Recovery and DFU phones: through ${via}`;
  return `Recovery and DFU phones: not reachable through ${via}. ${usb.detail}\n  What to do: ${usb.fix}`;
}

export const registerInfoCommand: RegisterCommand = (program, { withEngine }) => {
  program
    .command('info')
    .description('show the Lifeline version, platform and how phones in recovery or DFU mode are reached')
    .action(() =>
      withEngine(async (api, output) => {
        const info = await api.invoke('app.info', {});
        const host = await api.invoke('host.status', {});
        printResult(output, { ...info, usb: host.usb }, () =>
          [`${info.name} ${info.version} on ${info.platform}${info.demo ? ' (practice mode)' : ''}`, describeUsbAccess(host.usb)].join(
            '\n',
          ),
        );
        return EXIT.ok;
      }),
    );
};
