import type { LifelineApi } from '../../common/api';
import type { HostStatus, Phone } from '../../common/phone';
import { printResult, type Output } from './cli-output';
import { EXIT } from './exit-codes';

const MODE_WORDS: Record<Phone['mode'], string> = {
  normal: 'normal',
  recovery: 'recovery',
  dfu: 'DFU',
  wtf: 'DFU (WTF)',
  restore: 'restoring',
  unknown: 'unknown',
};

export function formatPhone(phone: Phone): string {
  const trust = phone.trusted === null ? '' : phone.trusted ? ', trusted' : ', not trusted';
  const ios = phone.iosVersion ? `, iOS ${phone.iosVersion}` : '';
  const state = phone.connected ? MODE_WORDS[phone.mode] : 'reconnecting';
  return [`${phone.model.name} [${phone.id}] — ${state}${ios}${trust}`, `  ${phone.triage.canBackUp ? '✓' : '✗'} ${phone.triage.headline}`].join('\n');
}

export function formatHostStatus(status: HostStatus): string[] {
  const lines: string[] = [];
  if (status.usbmux.state === 'unavailable') lines.push(`Note: ${status.usbmux.detail} ${status.usbmux.fix}`);
  if (status.usb.state === 'unavailable') lines.push(`Note: ${status.usb.detail} ${status.usb.fix}`);
  return lines;
}

function formatList(phones: Phone[], status: HostStatus): string {
  const body = phones.length === 0 ? ['No iPhone connected.'] : phones.map(formatPhone);
  return [...body, ...formatHostStatus(status)].join('\n');
}

/** `lifeline devices [--watch]`: one snapshot, or a live feed until Ctrl+C (or `signal`). */
export async function devicesCommand(api: LifelineApi, output: Output, options: { watch: boolean; signal?: AbortSignal }): Promise<number> {
  const [phones, host] = await Promise.all([api.invoke('devices.list', {}), api.invoke('host.status', {})]);
  printResult(output, { phones, host }, () => formatList(phones, host));
  if (!options.watch) return EXIT.ok;

  let latestHost = host;
  const offHost = api.on('host.status', (status) => {
    latestHost = status;
  });
  const offPhones = api.on('devices.changed', (current) => printResult(output, { phones: current, host: latestHost }, () => `\n${formatList(current, latestHost)}`));
  await new Promise<void>((resolve) => {
    if (options.signal?.aborted) resolve();
    options.signal?.addEventListener('abort', () => resolve(), { once: true });
    process.once('SIGINT', () => resolve());
  });
  offPhones();
  offHost();
  return EXIT.ok;
}
