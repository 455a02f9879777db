import type { LifelineApi } from '../../common/api';
import type { HostStatus, Phone } from '../../common/phone';
import type { RegisterCommand } from './cli-context';
import { printResult, type Output } from './cli-output';
import { EXIT } from './exit-codes';
import { SHOW_ECID_HELP, phoneForJson, shownPhoneId } from './phone-ids';

const MODE_WORDS: Record<Phone['mode'], string> = {
  normal: 'normal',
  recovery: 'recovery',
  dfu: 'DFU',
  wtf: 'DFU (WTF)',
  restore: 'restore mode',
  unknown: 'unknown',
};

export function formatPhone(phone: Phone, showEcid = false): string {
  const trust = phone.trusted === null ? '' : phone.trusted ? ', trusted' : ', not trusted';
  const ios = phone.iosVersion ? `, iOS ${phone.iosVersion}` : '';
  const state = phone.connected ? MODE_WORDS[phone.mode] : 'reconnecting';
  return [
    `${phone.model.name} [${shownPhoneId(phone.id, showEcid)}] — ${state}${ios}${trust}`,
    `  ${phone.triage.canBackUp ? '✓' : '✗'} ${phone.triage.headline}`,
  ].join('\n');
}

export function formatHostStatus(status: HostStatus): string[] {
  const lines: string[] = [];
  if (status.usbmux.state === 'unavailable') lines.push(`Note: ${status.usbmux.detail} ${status.usbmux.fix}`);
  if (status.usb.state === 'unavailable') lines.push(`Note: ${status.usb.detail} ${status.usb.fix}`);
  return lines;
}

function formatList(phones: Phone[], status: HostStatus, showEcid: boolean): string {
  const body = phones.length === 0 ? ['No iPhone connected.'] : phones.map((phone) => formatPhone(phone, showEcid));
  return [...body, ...formatHostStatus(status)].join('\n');
}

const SETTLE_TIMEOUT_MS = 20_000;

function settled(phones: Phone[], host: HostStatus): boolean {
  return host.usbmux.state !== 'connecting' && phones.every((phone) => !phone.identifying);
}

/**
 * A snapshot worth printing: waits (bounded) until usbmuxd has been reached or given up on and every phone has
 * answered who it is, so a one-shot `lifeline devices` never prints half-identified phones.
 */
export async function settledSnapshot(api: LifelineApi, timeoutMs = SETTLE_TIMEOUT_MS): Promise<{ phones: Phone[]; host: HostStatus }> {
  let phones: Phone[] = [];
  let host: HostStatus | null = null;
  let wake: () => void = () => undefined;
  const offPhones = api.on('devices.changed', (current) => {
    phones = current;
    wake();
  });
  const offHost = api.on('host.status', (status) => {
    host = status;
    wake();
  });
  try {
    [phones, host] = await Promise.all([api.invoke('devices.list', {}), api.invoke('host.status', {})]);
    const deadline = Date.now() + timeoutMs;
    while (!settled(phones, host) && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.min(250, Math.max(0, deadline - Date.now())));
      });
      host = await api.invoke('host.status', {});
    }
    return { phones, host };
  } finally {
    offPhones();
    offHost();
  }
}

/** `lifeline devices [--watch]`: one settled snapshot, or a live feed until Ctrl+C (or `signal`). */
export async function devicesCommand(
  api: LifelineApi,
  output: Output,
  options: { watch: boolean; showEcid?: boolean; signal?: AbortSignal },
): Promise<number> {
  const show = options.showEcid ?? false;
  const print = (phones: Phone[], host: HostStatus, prefix = ''): void =>
    printResult(
      output,
      { phones: phones.map((phone) => phoneForJson(phone, show)), host },
      () => `${prefix}${formatList(phones, host, show)}`,
    );
  const { phones, host } = await settledSnapshot(api);
  print(phones, host);
  if (!options.watch) return EXIT.ok;

  let latestHost = host;
  const offHost = api.on('host.status', (status) => {
    latestHost = status;
  });
  const offPhones = api.on('devices.changed', (current) => print(current, latestHost, '\n'));
  await new Promise<void>((resolve) => {
    if (options.signal?.aborted) resolve();
    options.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  offPhones();
  offHost();
  return EXIT.ok;
}

export const registerDevicesCommand: RegisterCommand = (program, { withEngine, signal }) => {
  program
    .command('devices')
    .description('list connected phones in every mode, with what can be saved')
    .option('--watch', 'keep running and print every change', false)
    .option('--show-ecid', SHOW_ECID_HELP, false)
    .action((options: { watch: boolean; showEcid: boolean }) =>
      withEngine((api, output) => devicesCommand(api, output, { watch: options.watch, showEcid: options.showEcid, signal })),
    );
};
