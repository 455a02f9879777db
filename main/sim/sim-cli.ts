import { Command, InvalidArgumentError } from 'commander';
import { loadScenarioFile, parseScenario } from './scenario';
import type { ScenarioInput } from './scenario';
import { startSimulator } from './index';

type CliOptions = {
  scenario?: string;
  model?: string;
  board?: string;
  ios?: string;
  build?: string;
  name?: string;
  seed?: string;
  udid?: string;
  ecid?: string;
  trusted?: boolean;
  passcode?: boolean;
  locked?: boolean;
  trustDialog?: 'accept' | 'deny' | 'pending';
  unlockedSinceBoot?: boolean;
  encrypted?: boolean;
  backupPassword?: string;
  battery?: number;
  mode?: 'normal' | 'recovery' | 'dfu';
  timeFactor?: number;
  listen: string;
  pairRecordDir?: string;
  json?: boolean;
};

function number(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new InvalidArgumentError('not a number');
  return parsed;
}

const program = new Command()
  .name('sim')
  .description('Run a fake usbmuxd with a virtual iPhone (point libimobiledevice tools at it with USBMUXD_SOCKET_ADDRESS)')
  .option('--scenario <file>', 'scenario JSON file; flags below override its fields')
  .option('--model <productType>', 'ProductType, e.g. iPhone6,1')
  .option('--board <boardConfig>', 'board config when a ProductType has several, e.g. n71ap')
  .option('--ios <version>', 'iOS version, e.g. 12.5.7')
  .option('--build <build>', 'build version, e.g. 16H81')
  .option('--name <deviceName>', 'device name')
  .option('--seed <seed>', 'seed for derived identity values')
  .option('--udid <udid>', 'UDID (24/25-char or 40-hex)')
  .option('--ecid <ecid>', 'ECID (0x… or decimal)')
  .option('--trusted', 'already paired with this host')
  .option('--no-passcode', 'no passcode set')
  .option('--locked', 'screen locked')
  .option('--unlocked', 'screen unlocked')
  .option('--trust-dialog <answer>', 'accept | deny | pending')
  .option('--no-unlocked-since-boot', 'never unlocked since boot')
  .option('--encrypted', 'backup encryption on')
  .option('--backup-password <password>', 'backup password')
  .option('--battery <percent>', 'battery level', number)
  .option('--mode <mode>', 'normal | recovery | dfu')
  .option('--time-factor <factor>', 'scale of realistic delays', number)
  .option('--listen <address>', "host:port or 'UNIX:/path'", '127.0.0.1:0')
  .option('--pair-record-dir <dir>', 'persist pair records here as <UDID>.plist')
  .option('--json', 'print one JSON line instead of text');

let running: { close(): Promise<void> } | undefined;
const stop = (): void => {
  const closing = running ? running.close() : Promise.resolve();
  closing.finally(() => process.exit(0));
};
// Installed before anything async so a signal during start-up still exits cleanly.
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

async function main(): Promise<void> {
  program.parse();
  const opts = program.opts<CliOptions & { unlocked?: boolean }>();
  const base: Record<string, unknown> = opts.scenario ? { ...(await loadScenarioFile(opts.scenario)) } : {};
  const overrides: ScenarioInput = {};
  if (opts.model) overrides.model = { productType: opts.model, ...(opts.board ? { boardConfig: opts.board } : {}) };
  if (opts.ios) overrides.ios = opts.ios;
  if (opts.build) overrides.build = opts.build;
  if (opts.name) overrides.deviceName = opts.name;
  if (opts.seed) overrides.seed = opts.seed;
  if (opts.udid) overrides.udid = opts.udid;
  if (opts.ecid) overrides.ecid = opts.ecid;
  if (opts.trusted) overrides.trusted = true;
  if (opts.passcode === false) overrides.passcodeSet = false;
  if (opts.locked) overrides.locked = true;
  if (opts.unlocked) overrides.locked = false;
  if (opts.trustDialog) overrides.trustDialog = opts.trustDialog;
  if (opts.unlockedSinceBoot === false) overrides.unlockedSinceBoot = false;
  if (opts.encrypted) overrides.backupEncryption = true;
  if (opts.backupPassword) overrides.backupPassword = opts.backupPassword;
  if (opts.battery !== undefined) overrides.battery = opts.battery;
  if (opts.mode) overrides.mode = opts.mode;
  if (opts.timeFactor !== undefined) overrides.timeFactor = opts.timeFactor;
  const scenario = parseScenario({ ...base, ...overrides });

  const sim = await startSimulator({
    listen: opts.listen,
    phones: [scenario],
    ...(opts.pairRecordDir ? { pairRecordDir: opts.pairRecordDir } : {}),
  });
  running = sim;
  const phone = sim.phones[0]!;
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ address: sim.address, udid: phone.udid, productType: phone.model.productType, ios: phone.scenario.ios, systemBuid: sim.daemon.systemBuid })}\n`,
    );
  } else {
    process.stdout.write(`USBMUXD_SOCKET_ADDRESS=${sim.address}\nUDID=${phone.udid}\n`);
    process.stdout.write(`# ${phone.model.name} (${phone.model.productType}), iOS ${phone.scenario.ios}; Ctrl-C to stop\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`sim: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
