/**
 * Debian's unmodified `irecovery -f` sends personalised boot images to the virtual phone over USB/IP (through the
 * libusb-usbip shim); the phone's boot records say whether it accepted them — the tool's exit code does not
 * (docs/protocols/irecv.md#observed-from-the-debian-tools).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findModelByProductType } from '../../common/device-table';
import { readBuildManifest, selectIdentity, type BuildIdentity } from '../../main/ipsw/build-manifest';
import { IpswArchive } from '../../main/ipsw/ipsw-reader';
import { planBootChain } from '../../main/restore/boot-chain-plan';
import { personalise } from '../../main/img4/img4';
import { apTicketRequester } from '../../main/tss/ap-ticket';
import { startFakeTssServer, type FakeTssServer } from '../../main/sim/fake-tss-server';
import { PhoneHardware } from '../../main/sim/hardware/phone-hardware';
import { SimUsbBus } from '../../main/sim/hardware/sim-usb-bus';
import { writeSyntheticIpsw } from '../../main/sim/synthetic-ipsw';
import { SimUsbipServer } from '../../main/sim/usbip-server';
import { irecoveryOverUsbipNeeds, peerSkipReason, peerSuiteOptions, waitFor, whichTool } from './peer-tool';

/** The libusb-usbip shim's source folder (docs/protocols/usbip.md#libusb-shim); the suite skips without it. */
const SHIM_SOURCE = process.env.LIFELINE_LIBUSB_USBIP_SRC ?? '';
const ECID = 0x000a1b2c3d4e5f60n;
const tool = whichTool('irecovery');
const missing = peerSkipReason(irecoveryOverUsbipNeeds(SHIM_SOURCE));

describe.skipIf(missing !== null)(
  `irecovery -f of boot-chain images through USB/IP${missing ? ` (skipped: ${missing})` : ''}`,
  peerSuiteOptions(missing),
  () => {
    let workDir = '';
    let shimDir = '';
    let tss: FakeTssServer;
    let archive: IpswArchive;
    let identity: BuildIdentity;
    const cleanups: (() => Promise<void> | void)[] = [];

    beforeAll(async () => {
      workDir = mkdtempSync(join(tmpdir(), 'lifeline-irecovery-bootchain-'));
      shimDir = join(workDir, 'libusb-usbip');
      execFileSync('make', ['-s', '-C', SHIM_SOURCE, `OUT=${shimDir}`], { stdio: 'pipe', timeout: 120_000 });
      tss = await startFakeTssServer();
      const ipsw = await writeSyntheticIpsw(workDir, {
        productTypes: ['iPhone6,1'],
        boards: [{ boardConfig: 'n51ap', cpid: 0x8960, bdid: 0 }],
        version: '12.5.7',
        build: '16H81',
      });
      archive = await IpswArchive.open(ipsw.path);
      identity = selectIdentity(await readBuildManifest(archive), 'n51ap', 'Erase')!;
    }, 130_000);

    afterAll(async () => {
      archive?.close();
      await tss?.close();
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function dfuPhone(): Promise<{ phone: PhoneHardware; server: SimUsbipServer }> {
      const phone = new PhoneHardware({
        identity: { model: findModelByProductType('iPhone6,1')!, ecid: ECID, serialNumber: 'F17LX0AAFF9R', udid: 'udid-bootchain' },
        initialMode: 'dfu',
        timeFactor: 0.01,
      });
      phone.ticketKey = tss.key.publicKey;
      const bus = new SimUsbBus([phone]);
      const server = await SimUsbipServer.start({ bus });
      cleanups.push(
        () => phone.dispose(),
        () => bus.close(),
        () => server.close(),
      );
      return { phone, server };
    }

    async function imageFor(phone: PhoneHardware, component: string, tag: string): Promise<string> {
      const ticket = await apTicketRequester(
        identity,
        { ecid: ECID, chipId: 0x8960, boardId: 0 },
        { url: tss.url, attempts: 1 },
      )({ apNonce: phone.apNonce });
      const file = await archive.readSmall(identity.components.find((c) => c.name === component)!.path!, 1 << 20);
      const path = join(workDir, `${component}-${tag}.img4`);
      writeFileSync(path, personalise(file, tag, ticket).img4);
      return path;
    }

    function irecovery(server: SimUsbipServer, args: string[]): Promise<void> {
      return new Promise((resolve) => {
        execFile(
          tool!,
          args,
          { timeout: 30_000, env: { ...process.env, LIBUSB_USBIP_SERVER: server.address, LD_LIBRARY_PATH: shimDir } },
          () => resolve(),
        );
      });
    }

    it('a personalised iBSS sent with irecovery -f in DFU is accepted: the phone boots it and comes back as iBSS in recovery', async () => {
      const { phone, server } = await dfuPhone();
      await irecovery(server, ['-f', await imageFor(phone, 'iBSS', 'ibss')]);
      expect(phone.bootRecords).toEqual([{ stage: 'dfu', command: 'dfu-upload', verdict: { ok: true, tag: 'ibss' } }]);
      expect(await waitFor(() => phone.mode === 'recovery' && phone.iBootStage === 'ibss', 5_000)).toBe(true);
    });

    it('an iBEC image sent in DFU is rejected: the phone records why and stays in DFU without re-enumerating', async () => {
      const { phone, server } = await dfuPhone();
      await irecovery(server, ['-f', await imageFor(phone, 'iBEC', 'ibec')]);
      expect(phone.bootRecords.at(-1)).toMatchObject({ stage: 'dfu', verdict: { ok: false, tag: 'ibec' } });
      const device = phone.usbDevice();
      await new Promise((r) => setTimeout(r, 200));
      expect(phone.mode).toBe('dfu');
      expect(phone.usbDevice()).toBe(device);
    });

    it('walks the whole chain to bootx, one irecovery process per image or command, and the phone accepts every image', async () => {
      const { phone, server } = await dfuPhone();
      const reached: string[] = [];
      const reach = async (stage: 'ibss' | 'ibec'): Promise<void> => {
        reached.push(`${stage}: ${await waitFor(() => phone.mode === 'recovery' && phone.iBootStage === stage, 5_000)}`);
      };
      for (const step of planBootChain(identity)) {
        await irecovery(server, ['-f', await imageFor(phone, step.component.name, step.tag)]);
        if (step.stage === 'ibss') {
          await reach('ibss');
          continue;
        }
        // A new process finds the phone still configured by the previous one and uploads without setting it again.
        for (const line of step.before ?? []) await irecovery(server, ['-c', line]);
        await irecovery(server, ['-c', step.command ?? 'firmware']);
        if (step.stage === 'ibec') await reach('ibec');
      }
      expect(reached).toEqual(['ibss: true', 'ibec: true']);
      expect(phone.bootRecords.map((r) => [r.command, r.verdict.ok])).toEqual(phone.bootRecords.map((r) => [r.command, true]));
      expect(phone.bootRecords.at(-1)?.command).toBe('bootx');
    });
  },
);
