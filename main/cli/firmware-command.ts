import type { FirmwareList, LifelineApi, PreparedFirmware } from '../../common/api';
import type { RegisterCommand } from './cli-context';
import { printProblem, printResult, type Output } from './cli-output';
import { EXIT } from './exit-codes';
import { followJob } from './follow-job';
import { personPath } from './person-path';

type ModelOptions = { device: string; board?: string };

const gb = (bytes: number | null): string => (bytes === null ? 'size unknown' : `${(bytes / 1e9).toFixed(2)} GB`);

function listProse(list: FirmwareList): string {
  const lines = [
    `Firmware for ${list.productType}${list.boardConfig ? ` (${list.boardConfig})` : ''}${list.checkedAt ? `, catalogs checked ${list.checkedAt}` : ''}${list.offline ? ' — offline, from the cache' : ''}:`,
  ];
  for (const entry of list.entries) {
    const signed = entry.signed === true ? 'signed' : entry.signed === false ? 'not signed' : 'signing unknown';
    const mark = entry === list.latest || (list.latest && entry.build === list.latest.build) ? '→' : ' ';
    lines.push(`${mark} iOS ${entry.version} (${entry.build}) — ${signed}, ${gb(entry.size)}, ${entry.fileName}`);
  }
  if (list.entries.length === 0) lines.push('  (none listed)');
  for (const warning of list.warnings) lines.push(`  note: ${warning}`);
  return lines.join('\n');
}

function preparedProse(prepared: PreparedFirmware): string {
  const verified = prepared.catalogVerified
    ? 'verified against Apple’s checksum'
    : 'fits this phone (no catalog checksum known for this build)';
  return `iOS ${prepared.version} (${prepared.build}) ready — ${verified}\n  ${prepared.path}\n  SHA-1 ${prepared.sha1}`;
}

/** Starts a firmware job and waits for its outcome, printing progress to stderr; Ctrl+C cancels it. */
async function runJob(api: LifelineApi, output: Output, signal: AbortSignal, start: () => Promise<{ job: string }>): Promise<number> {
  const ending = await followJob(api, output, signal, start);
  if (ending.state === 'succeeded') {
    const result = ending.summary.result as PreparedFirmware;
    printResult(output, result, () => preparedProse(result));
    return EXIT.ok;
  }
  if (ending.state === 'cancelled') {
    printResult(output, { cancelled: true }, () => 'Cancelled. What was downloaded is kept; the next run resumes from there.');
    return EXIT.cancelled;
  }
  printProblem(output, { problem: ending.problem });
  return EXIT.failed;
}

const model = (options: ModelOptions) => ({ productType: options.device, ...(options.board ? { boardConfig: options.board } : {}) });

export const registerFirmwareCommand: RegisterCommand = (program, { withEngine, signal }) => {
  const firmware = program.command('firmware').description('find, download and check iOS firmware (.ipsw) for an iPhone model');

  firmware
    .command('list')
    .description('list the firmware Apple and ipsw.me know for a model, newest first; → marks the latest signed')
    .requiredOption('--device <productType>', 'model identifier, e.g. iPhone6,1')
    .option('--board <boardConfig>', 'board config, e.g. n51ap (default: from the device table)')
    .option('--refresh', 'ignore the cached catalogs', false)
    .action((options: ModelOptions & { refresh: boolean }) =>
      withEngine(async (api, output) => {
        const list = await api.invoke('firmware.list', { ...model(options), refresh: options.refresh });
        printResult(output, list, () => listProse(list));
        return EXIT.ok;
      }),
    );

  firmware
    .command('get')
    .description('download (or reuse from the cache) and verify the latest signed firmware for a model')
    .requiredOption('--device <productType>', 'model identifier, e.g. iPhone6,1')
    .option('--board <boardConfig>', 'board config, e.g. n51ap (default: from the device table)')
    .option('--dir <directory>', 'where to put the .ipsw (default: Lifeline’s firmware cache)', (value: string) => personPath(value))
    .action((options: ModelOptions & { dir?: string }) =>
      withEngine((api, output) =>
        runJob(api, output, signal, () =>
          api.invoke('firmware.get', { ...model(options), ...(options.dir ? { directory: options.dir } : {}) }),
        ),
      ),
    );

  firmware
    .command('verify')
    .description('check a local .ipsw fits a model (BuildManifest identity for its board) and matches the catalog checksum')
    .argument('<file>', 'the .ipsw file', (value: string) => personPath(value))
    .requiredOption('--device <productType>', 'model identifier, e.g. iPhone6,1')
    .option('--board <boardConfig>', 'board config, e.g. n51ap (default: from the device table)')
    .action((file: string, options: ModelOptions) =>
      withEngine((api, output) => runJob(api, output, signal, () => api.invoke('firmware.useLocal', { path: file, ...model(options) }))),
    );
};
