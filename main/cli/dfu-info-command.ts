import type { DfuPhone } from '../../common/api';
import type { RegisterCommand } from './cli-context';
import { printResult } from './cli-output';
import { EXIT } from './exit-codes';
import { SHOW_ECID_HELP } from './phone-ids';

const MODE_WORDS: Record<DfuPhone['mode'], string> = {
  dfu: 'DFU mode',
  wtf: 'WTF mode (first-generation DFU)',
  recovery: 'Recovery mode',
  'port-dfu': 'Port DFU',
  kis: 'DFU via debug USB (KIS)',
};

export function formatDfuPhone(phone: DfuPhone): string {
  const name = phone.model ? `${phone.model.name} (${phone.model.productType}, ${phone.model.boardConfig})` : 'Unknown Apple device';
  const lines = [`${name} — ${MODE_WORDS[phone.mode]} [${phone.location}]`];
  lines.push(
    `  CPID ${phone.cpid}${phone.bdid ? `  BDID ${phone.bdid}` : ''}${phone.ecid ? `  ECID ${phone.ecid}` : ''}  USB ${phone.productId}`,
  );
  if (phone.srtg) lines.push(`  SecureROM ${phone.srtg}`);
  if (phone.apNonce) lines.push(`  ApNonce  ${phone.apNonce}`);
  if (phone.sepNonce) lines.push(`  SepNonce ${phone.sepNonce}`);
  return lines.join('\n');
}

export const registerDfuInfoCommand: RegisterCommand = (program, { withEngine }) => {
  program
    .command('dfu-info')
    .description('show what each phone in DFU or recovery mode reports over USB (chip, board, ECID, nonces)')
    .option('--show-ecid', SHOW_ECID_HELP, false)
    .action((options: { showEcid: boolean }) =>
      withEngine(async (api, output) => {
        const phones = await api.invoke('dfu.info', { showEcid: options.showEcid });
        // --json names each phone by its opaque phoneId; the ECID (masked or not) only when asked.
        const json = options.showEcid ? phones : phones.map(({ ecid: _ecid, ...rest }) => rest);
        printResult(output, json, () =>
          phones.length === 0 ? 'No phone in DFU or recovery mode.' : phones.map(formatDfuPhone).join('\n'),
        );
        return EXIT.ok;
      }),
    );
};
