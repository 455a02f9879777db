/**
 * `npm run bench:detect`: how fast a phone shows up on a card.
 *  - attach: cable plugged in → the card is visible (connected, normal mode) at a WebSocket client of the bridge,
 *    i.e. exactly what the UI receives. Peer: libimobiledevice's `idevice_id -l`, polled, on the same virtual phone.
 *  - mode change: the recovery-mode device appears on the USB bus → the card says "recovery". Peer: `idevice_id -l`
 *    noticing the phone left normal mode, timed from usbmuxd's detach (the only part of the change it can observe:
 *    libimobiledevice sees recovery mode only through libusb, which has no USB here).
 * 50 runs each; p50/p95; target p95 < 150 ms. Prints one line per figure plus peak RSS. Never asserts on time.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import type { Phone } from '../../common/phone';
import { startHostRegistry } from '../../main/devices/host-sources';
import { Engine } from '../../main/rescue/engine';
import { startPracticeHost } from '../../main/sim/practice-host';
import { FakeAppleDriver } from '../../main/sim/win32/fake-apple-driver';
import { AppleDriverBus } from '../../main/usb/apple-driver-bus';
import { startWebBridge } from '../../main/transport/web-bridge';
import { whichTool } from '../peers/peer-tool';

const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const TARGET_P95_MS = 150;
const run = promisify(execFile);

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const host = await startPracticeHost({
  phones: [
    {
      seed: 'bench-detect',
      model: { productType: 'iPhone6,1' },
      ios: '12.5.8',
      trusted: true,
      timeFactor: 0.01,
      filesystem: { fileCount: 10, totalBytes: 10_000 },
    },
  ],
});
const phone = host.sim.phones[0]!;
const registry = await startHostRegistry({
  usb: host.usb,
  usbmuxAddress: host.usbmuxAddress,
  reconnectGraceMs: 60_000,
  initialBackoffMs: 20,
});
const engine = new Engine({ version: 'bench', phones: registry });
const bridge = await startWebBridge({ engine });

// The UI's view: a bridge client subscribed to device changes.
const client = new WebSocket(`ws://127.0.0.1:${bridge.port}/bridge?token=${bridge.token}`, { origin: bridge.origin });
await new Promise((resolve) => client.once('open', resolve));
let latest: Phone[] = [];
const waiters = new Set<() => void>();
client.on('message', (data) => {
  const message = JSON.parse(String(data)) as { type: string; payload?: Phone[] };
  if (message.type !== 'event' || !message.payload) return;
  latest = message.payload;
  for (const wake of waiters) wake();
});
client.send(JSON.stringify({ type: 'subscribe', event: 'devices.changed' }));

function uiShows(check: (phones: Phone[]) => boolean, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      if (!check(latest)) return;
      waiters.delete(done);
      clearTimeout(timer);
      resolve(performance.now());
    };
    const timer = setTimeout(() => {
      waiters.delete(done);
      reject(new Error('UI never showed the expected state'));
    }, timeoutMs);
    waiters.add(done);
    done();
  });
}

const peerTool = whichTool('idevice_id');
async function peerSees(present: boolean, timeoutMs = 10_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const { stdout } = await run(peerTool!, ['-l'], { env: { ...process.env, USBMUXD_SOCKET_ADDRESS: host.sim.address } }).catch(() => ({
      stdout: '',
    }));
    if (stdout.includes(phone.udid) === present) return performance.now();
  }
  throw new Error('peer never saw the expected state');
}

const normalCard = (phones: Phone[]): boolean => phones.some((p) => p.connected && p.mode === 'normal');
const recoveryCard = (phones: Phone[]): boolean => phones.some((p) => p.connected && p.mode === 'recovery');
const goneCard = (phones: Phone[]): boolean => !phones.some((p) => p.connected);

/** Leaves recovery the way a host does: iBoot commands over the control pipe (auto-boot true, saveenv, reboot). */
async function exitRecovery(): Promise<void> {
  const device = phone.hardware.usbDevice();
  if (!device) return;
  await device.open();
  for (const line of ['setenv auto-boot true', 'saveenv', 'reboot']) {
    await device.controlTransferOut(
      { requestType: 'vendor', recipient: 'device', request: 0, value: 0, index: 0 },
      new TextEncoder().encode(`${line}\0`),
    );
  }
}

async function restoreNormal(): Promise<void> {
  if (!phone.hardware.plugged) phone.hardware.plug();
  if (phone.hardware.mode === 'recovery') await exitRecovery();
  await uiShows(normalCard, 20_000);
  if (peerTool) await peerSees(true);
}

await uiShows(normalCard);
const attachOurs: number[] = [];
const attachPeer: number[] = [];
const modeOurs: number[] = [];
const modePeer: number[] = [];

for (let i = 0; i < RUNS; i++) {
  phone.hardware.unplug();
  await uiShows(goneCard);
  if (peerTool) await peerSees(false);
  const t0 = performance.now();
  phone.hardware.plug();
  const [ui, peer] = await Promise.all([uiShows(normalCard), peerTool ? peerSees(true) : Promise.resolve(NaN)]);
  attachOurs.push(ui - t0);
  attachPeer.push(peer - t0);
}

/** Timestamp of the next matching event, taken before any other listener (the registry's included) runs. */
function nextEventTime(emitter: NodeJS.EventEmitter, event: string, accept: (first: unknown) => boolean): Promise<number> {
  return new Promise((resolve) => {
    const listener = (first: unknown): void => {
      if (!accept(first)) return;
      emitter.off(event, listener);
      resolve(performance.now());
    };
    emitter.prependListener(event, listener);
  });
}

for (let i = 0; i < RUNS; i++) {
  await restoreNormal();
  const recoveryOnBus = nextEventTime(phone.hardware, 'usb', (device) => (device as { productId: number } | null)?.productId === 0x1281);
  const leftUsbmux = nextEventTime(phone.events, 'usb-visibility', (visible) => visible === false);
  phone.hardware.enterRecovery();
  const peer = peerTool ? await peerSees(false) : NaN;
  const [ui, busT0, muxT0] = await Promise.all([uiShows(recoveryCard), recoveryOnBus, leftUsbmux]);
  modeOurs.push(ui - busT0);
  modePeer.push(peer - muxT0);
}

// Windows: the same mode change seen through Apple's driver (the fake Win32 surface over the same virtual phone, polled by
// AppleDriverBus), timed from the moment SetupAPI first lists the recovery device (after the 100 ms attach debounce).
let listedWaiter: ((at: number) => void) | null = null;
const appleDriver = await FakeAppleDriver.start({
  bus: host.usb,
  onListed: (device) => {
    if (device.productId === 0x1281) listedWaiter?.(performance.now());
  },
});
const appleBus = new AppleDriverBus({ loadApi: async () => appleDriver });
await appleBus.start();
const windowsRegistry = await startHostRegistry({
  usb: appleBus,
  usbmuxAddress: host.usbmuxAddress,
  reconnectGraceMs: 60_000,
  initialBackoffMs: 20,
});
function registryShows(check: (phones: Phone[]) => boolean, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      if (!check(windowsRegistry.list())) return;
      off();
      clearTimeout(timer);
      resolve(performance.now());
    };
    const off = windowsRegistry.onChange(done);
    const timer = setTimeout(() => {
      off();
      reject(new Error('the registry never showed the expected state'));
    }, timeoutMs);
    done();
  });
}
const windowsModeOurs: number[] = [];
for (let i = 0; i < RUNS; i++) {
  await restoreNormal();
  await registryShows(normalCard, 20_000);
  const listed = new Promise<number>((resolve) => (listedWaiter = resolve));
  phone.hardware.enterRecovery();
  const [card, t0] = await Promise.all([registryShows(recoveryCard), listed]);
  windowsModeOurs.push(card - t0);
}
listedWaiter = null;

clearInterval(sampler);
const rssMb = (peakRss / 1024 / 1024).toFixed(0);
const line = (name: string, ours: number[], peer: number[] | null): string => {
  const o50 = percentile(ours, 50);
  const o95 = percentile(ours, 95);
  const verdict = o95 < TARGET_P95_MS ? 'meets' : 'MISSES';
  const p50 = peer ? percentile(peer, 50) : NaN;
  const peerText = !peer
    ? 'peer n/a (no Windows peer here)'
    : peerTool
      ? `peer ${p50.toFixed(1)} ms p50 (idevice_id -l), ratio ${(o50 / p50).toFixed(2)}`
      : 'peer n/a (idevice_id not installed)';
  return `${name}: ours p50 ${o50.toFixed(1)} ms p95 ${o95.toFixed(1)} ms (${verdict} the ${TARGET_P95_MS} ms p95 target), ${peerText}, peak RSS ${rssMb} MB`;
};
console.log(line(`detect attach→card (${RUNS} runs)`, attachOurs, attachPeer));
console.log(
  line(`detect mode change→card (${RUNS} runs, from the recovery device on the bus; peer from usbmuxd's detach)`, modeOurs, modePeer),
);
console.log(
  line(
    `detect mode change→card through Apple's driver (${RUNS} runs, fake Windows PC, from SetupAPI listing the device; no peer)`,
    windowsModeOurs,
    null,
  ),
);

await windowsRegistry.close();
appleBus.close();
appleDriver.close();
client.close();
await bridge.close();
await engine.close();
await host.close();
process.exit(0);
