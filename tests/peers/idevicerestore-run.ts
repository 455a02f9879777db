/**
 * Debian's unmodified idevicerestore restoring a virtual iPhone: the phone's DFU / recovery side exported over USB/IP
 * (reached through the libusb-usbip shim, docs/protocols/usbip.md#libusb-shim), its restore mode on the fake usbmuxd
 * (`USBMUXD_SOCKET_ADDRESS`), and the fake signing server as the tool's http proxy, which refuses CONNECT
 * (docs/protocols/tss.md#how-idevicerestore-reaches-the-server), so nothing leaves the machine. Shared by the peer
 * test and the restore benchmark.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FakeTssServer } from '../../main/sim/fake-tss-server';
import { SimUsbBus } from '../../main/sim/hardware/sim-usb-bus';
import { startSimulator } from '../../main/sim/index';
import type { RestoreRecord } from '../../main/sim/restore/restore-record';
import type { ScenarioInput } from '../../main/sim/scenario';
import { writeSyntheticIpsw, type SyntheticIpswSpec } from '../../main/sim/synthetic-ipsw';
import { SimUsbipServer } from '../../main/sim/usbip-server';
import { RESTORE_ENDED_EVENT, type VirtualIphone } from '../../main/sim/virtual-iphone';
import { introducePhoneToSigningServer } from '../integration/lifeline-a7-restore';

/**
 * How idevicerestore 1.0.0 finds the signing server: `apple` tries https to Apple three times (each a refused CONNECT,
 * 2 s apart) and then posts to `http://gs.apple.com/…`; `cydia` (`-s`) posts to `http://cydia.saurik.com/…` at once.
 */
export type SigningRoute = 'apple' | 'cydia';

export type IdevicerestoreRunOptions = {
  tool: string;
  /** Folder holding the built libusb-usbip shim (`libusb-1.0.so.0`). */
  shimDir: string;
  spec: SyntheticIpswSpec;
  phone: ScenarioInput;
  tss: FakeTssServer;
  route: SigningRoute;
  /** Undone by the caller, last first. */
  cleanups: (() => Promise<void>)[];
  timeoutMs?: number;
};

export type IdevicerestoreRun = {
  code: number;
  output: string;
  /** From starting the tool to its exit. */
  wallMs: number;
  phone: VirtualIphone;
  /** The phone's record of the restore this run drove (null if it never reached restore mode). */
  record: RestoreRecord | null;
};

/** Builds the libusb-usbip shim from its source folder into `outDir`. */
export function buildLibusbShim(source: string, outDir: string): void {
  execFileSync('make', ['-s', '-C', source, `OUT=${outDir}`], { stdio: 'pipe', timeout: 120_000 });
}

const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

export async function restoreWithIdevicerestore(options: IdevicerestoreRunOptions): Promise<IdevicerestoreRun> {
  const { cleanups, tss } = options;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lifeline-idevicerestore-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const ipsw = await writeSyntheticIpsw(dir, options.spec);
  const sim = await startSimulator({ phones: [options.phone] });
  cleanups.push(() => sim.close());
  const phone = sim.phones[0]!;
  introducePhoneToSigningServer(phone, tss);
  phone.restoreWith(options.spec);
  const bus = new SimUsbBus([phone.hardware]);
  cleanups.push(async () => bus.close());
  const usbip = await SimUsbipServer.start({ bus });
  cleanups.push(() => usbip.close());

  const restoresBefore = phone.restores.length;
  const phoneEnded = new Promise<void>((resolve) => phone.events.once(RESTORE_ENDED_EVENT, () => resolve()));
  const args = ['-e', '-y', ...(options.route === 'cydia' ? ['-s'] : []), '-C', path.join(dir, 'cache'), ipsw.path];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LIBUSB_USBIP_SERVER: usbip.address,
    LD_LIBRARY_PATH: options.shimDir,
    USBMUXD_SOCKET_ADDRESS: sim.address,
    http_proxy: tss.proxyUrl,
    HTTP_PROXY: tss.proxyUrl,
    https_proxy: tss.proxyUrl,
    HTTPS_PROXY: tss.proxyUrl,
    NO_PROXY: '',
    no_proxy: '',
  };
  delete env.ALL_PROXY;
  delete env.all_proxy;
  const started = performance.now();
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      options.tool,
      args,
      { cwd: dir, env, timeout: options.timeoutMs ?? 240_000, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const exit = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code: exit, output: `${stdout}${stderr}` });
      },
    );
  });
  const wallMs = performance.now() - started;
  const record = phone.restores.length > restoresBefore ? phone.restores.at(-1)! : null;
  // The phone ends its restore (and reboots) on its own once the tool acknowledged the final status.
  if (record !== null && code === 0) await phoneEnded;
  return { code, output, wallMs, phone, record };
}
