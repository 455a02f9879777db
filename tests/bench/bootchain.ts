/**
 * bench:bootchain — host time from "DFU phone present, IPSW cached, ticket in hand" to `bootx` against the virtual
 * phone at (effectively) zero delays (timeFactor 1e-6: the scenario schema wants > 0), per stage, with peak RSS. Both
 * walks go over the virtual phone's USB/IP export: ours through UsbipBus, the peer's as Debian's `irecovery -f` / `-c`
 * through the libusb-usbip shim (one process per image or command, as a script would run it). Never asserts on time.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBuildManifest, selectIdentity } from '../../main/ipsw/build-manifest';
import { IpswArchive } from '../../main/ipsw/ipsw-reader';
import { runBootChain } from '../../main/restore/boot-chain';
import { planBootChain } from '../../main/restore/boot-chain-plan';
import { personalise } from '../../main/img4/img4';
import { apTicketRequester } from '../../main/tss/ap-ticket';
import { startFakeTssServer } from '../../main/sim/fake-tss-server';
import { SimUsbBus } from '../../main/sim/hardware/sim-usb-bus';
import { startSimulator } from '../../main/sim/index';
import { writeSyntheticIpsw } from '../../main/sim/synthetic-ipsw';
import { SimUsbipServer } from '../../main/sim/usbip-server';
import { UsbipBus } from '../../main/usbip/usbip-bus';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { UsbmuxClient } from '../../main/usbmux/usbmux-client';

const ECID = 0x000a1b2c3d4e5f60n;
const RUNS = 5;
let peakRss = process.memoryUsage().rss;
const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
const ZERO = {
  dfuStatusPollMs: 1,
  goDelayMs: 0,
  ramdiskDelayMs: 0,
  disconnectMs: 5_000,
  reconnectMs: 5_000,
  discoveryMs: 5_000,
  restoreModeMs: 10_000,
};

const work = mkdtempSync(join(tmpdir(), 'lifeline-bench-bootchain-'));
const tss = await startFakeTssServer();
const ipsw = await writeSyntheticIpsw(work, {
  productTypes: ['iPhone6,1'],
  boards: [{ boardConfig: 'n51ap', cpid: 0x8960, bdid: 0 }],
  version: '12.5.7',
  build: '16H81',
  osBytes: 1024,
});
const archive = await IpswArchive.open(ipsw.path);
const manifest = await readBuildManifest(archive);
const identity = selectIdentity(manifest, 'n51ap', 'Erase')!;
const requestTicket = apTicketRequester(identity, { ecid: ECID, chipId: 0x8960, boardId: 0 }, { url: tss.url, attempts: 1 });

async function dfuPhone() {
  const sim = await startSimulator({
    phones: [{ model: { productType: 'iPhone6,1' }, mode: 'dfu', ecid: `0x${ECID.toString(16)}`, timeFactor: 0.000001 }],
  });
  const hardware = sim.phones[0]!.hardware;
  hardware.ticketKey = tss.key.publicKey;
  const bus = new SimUsbBus([hardware]);
  return { sim, hardware, bus, usbmux: new UsbmuxClient({ address: parseUsbmuxSocketAddress(sim.address)! }) };
}

// Ours goes through the same USB/IP export as the peer, so both pay the same transport.
const ours = new Map<string, number[]>();
for (let run = 0; run < RUNS; run++) {
  const { sim, hardware, bus: simBus, usbmux } = await dfuPhone();
  const server = await SimUsbipServer.start({ bus: simBus });
  const bus = new UsbipBus({ address: { host: '127.0.0.1', port: server.port }, pollMs: 5 });
  await bus.start();
  const ticket = await requestTicket({ apNonce: hardware.apNonce });
  const result = await runBootChain({ bus, usbmux, archive, manifest, identity, ecid: ECID, ticket, requestTicket, timeouts: ZERO });
  for (const { stage, ms } of result.stages) ours.set(stage, [...(ours.get(stage) ?? []), ms]);
  bus.close();
  await server.close();
  simBus.close();
  await sim.close();
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const stages = [...ours.keys()].filter((s) => s !== 'connect' && s !== 'restore-mode');
const oursTotal = stages.reduce((sum, s) => sum + median(ours.get(s)!), 0);

// Peer: irecovery per stage over USB/IP through the libusb shim (docs/protocols/usbip.md#libusb-shim).
const shimSource = process.env.LIFELINE_LIBUSB_USBIP_SRC ?? '';
const peer = new Map<string, number>();
let peerNote = '';
try {
  if (!existsSync(join(shimSource, 'Makefile'))) throw new Error('libusb-usbip shim not found (set LIFELINE_LIBUSB_USBIP_SRC)');
  const shimDir = join(work, 'shim');
  execFileSync('make', ['-s', '-C', shimSource, `OUT=${shimDir}`], { stdio: 'pipe', timeout: 120_000 });
  const { sim, hardware, bus } = await dfuPhone();
  const server = await SimUsbipServer.start({ bus });
  const ticket = await requestTicket({ apNonce: hardware.apNonce });
  const irecovery = (args: string[]): Promise<void> =>
    new Promise((resolve) =>
      execFile(
        'irecovery',
        args,
        { timeout: 30_000, env: { ...process.env, LIBUSB_USBIP_SERVER: server.address, LD_LIBRARY_PATH: shimDir } },
        () => resolve(),
      ),
    );
  for (const step of planBootChain(identity)) {
    const img4 = personalise(await archive.readSmall(step.component.path!, 1 << 24), step.tag, ticket).img4;
    const file = join(work, `${step.stage}-${step.component.name}.img4`);
    writeFileSync(file, img4);
    const start = performance.now();
    if (step.stage === 'ibss') {
      await irecovery(['-f', file]);
      while (!(hardware.mode === 'recovery' && hardware.iBootStage === 'ibss')) await new Promise((r) => setTimeout(r, 2));
    } else {
      await irecovery(['-f', file]);
      for (const line of step.before ?? []) await irecovery(['-c', line]);
      await irecovery(['-c', step.command ?? 'firmware']);
      if (step.stage === 'ibec')
        while (!(hardware.mode === 'recovery' && hardware.iBootStage === 'ibec')) await new Promise((r) => setTimeout(r, 2));
    }
    peer.set(step.stage, (peer.get(step.stage) ?? 0) + performance.now() - start);
  }
  if (!hardware.bootRecords.every((r) => r.verdict.ok))
    peerNote = ` (the phone rejected ${hardware.bootRecords
      .filter((r) => !r.verdict.ok)
      .map((r) => r.command)
      .join(', ')} in the peer walk)`;
  await server.close();
  bus.close();
  await sim.close();
} catch (error) {
  peerNote = ` (peer not run: ${error instanceof Error ? error.message : String(error)})`;
}

clearInterval(sample);
const rssMb = (peakRss / 1024 / 1024).toFixed(0);
for (const stage of stages) {
  const o = median(ours.get(stage)!);
  const p = peer.get(stage);
  console.log(
    `bootchain ${stage}: ours ${o.toFixed(1)} ms, peer ${p === undefined ? 'n/a' : `${p.toFixed(1)} ms`}, ratio ${p ? (o / p).toFixed(2) : 'n/a'}, peak RSS ${rssMb} MB`,
  );
}
const peerTotal = [...peer.values()].reduce((a, b) => a + b, 0);
console.log(
  `bootchain DFU→bootx: ours ${oursTotal.toFixed(1)} ms, peer ${peer.size ? `${peerTotal.toFixed(1)} ms` : 'n/a'}, ratio ${peer.size ? (oursTotal / peerTotal).toFixed(2) : 'n/a'}, peak RSS ${rssMb} MB${peerNote}`,
);
archive.close();
await tss.close();
rmSync(work, { recursive: true, force: true });
