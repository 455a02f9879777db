/**
 * A small scripted restore host for the virtual phone's tests: walks the boot chain with Lifeline's boot-chain code,
 * then speaks restored like idevicerestore (QueryType, QueryValue, StartRestore, every data request answered from the
 * synthetic IPSW), with hooks to answer badly on purpose. Not the product's client: the phone is what is under test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AsrClient } from '../../main/asr/asr-client';
import { ipswEntryImageSource, type AsrImageSource } from '../../main/asr/asr-image-source';
import { tagForComponent } from '../../main/img4/component-tags';
import { personalise } from '../../main/img4/img4';
import {
  readBuildManifest,
  selectIdentity,
  type BuildIdentity,
  type BuildManifest,
  type RestoreBehavior,
} from '../../main/ipsw/build-manifest';
import { IpswArchive } from '../../main/ipsw/ipsw-reader';
import { startFdrAgent, type FdrAgent } from '../../main/fdr/fdr-client';
import { PlistChannel } from '../../main/plist/framing';
import { isPlistDict, type PlistDict, type PlistValue } from '../../main/plist/plist-value';
import { runBootChain } from '../../main/restore/boot-chain';
import { coprocessorUpdaterFor } from '../../main/restore/coprocessor-updater';
import {
  ASR_DEFAULT_DATA_PORT,
  FILE_DATA_CHUNK_BYTES,
  RESTORED_PORT,
  buildRestoreOptions,
  encodeQueryType,
  encodeQueryValue,
  encodeReceivedFinalStatus,
  encodeStartRestore,
} from '../../main/restored/restored-wire';
import { startFakeTssServer, type FakeTssServer } from '../../main/sim/fake-tss-server';
import { SimUsbBus } from '../../main/sim/hardware/sim-usb-bus';
import { startSimulator } from '../../main/sim/index';
import type { Simulator } from '../../main/sim/simulator';
import { writeSyntheticIpsw, type SyntheticIpswSpec } from '../../main/sim/synthetic-ipsw';
import type { VirtualIphone } from '../../main/sim/virtual-iphone';
import { apTicketRequester } from '../../main/tss/ap-ticket';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { UsbmuxClient } from '../../main/usbmux/usbmux-client';
import type { ScenarioInput } from '../../main/sim/scenario';
import { FAST_BOOT_CHAIN } from './boot-chain-bench';

export const A7_SPEC: SyntheticIpswSpec = {
  productTypes: ['iPhone6,1', 'iPhone6,2'],
  boards: [
    { boardConfig: 'n51ap', cpid: 0x8960, bdid: 0 },
    { boardConfig: 'n53ap', cpid: 0x8960, bdid: 2 },
  ],
  version: '12.5.7',
  build: '16H81',
  osBytes: 3 * 131072 + 4321,
};

export const A12_SPEC: SyntheticIpswSpec = {
  productTypes: ['iPhone11,2'],
  boards: [{ boardConfig: 'd321ap', cpid: 0x8020, bdid: 0x0e }],
  version: '18.7.10',
  build: '22H31',
  osBytes: 2 * 131072 + 999,
  sealedSystemVolume: true,
};

/** An answer the host would send, or a replacement for it (bad-input tests). */
export type AnswerHook = (dataType: string, answer: PlistDict, request: PlistDict) => PlistDict | Promise<PlistDict>;

export type HostRun = {
  status: number | null;
  log: string | null;
  dataTypes: string[];
  progress: number[];
  checkpoints: string[];
  messages: string[];
  crashed: boolean;
  asrError: string | null;
};

export type RestoreBench = {
  sim: Simulator;
  phone: VirtualIphone;
  tss: FakeTssServer;
  usbmux: UsbmuxClient;
  bus: SimUsbBus;
  archive: IpswArchive;
  manifest: BuildManifest;
  ipswPath: string;
  close(): Promise<void>;
};

export async function startRestoreBench(spec: SyntheticIpswSpec, scenario: ScenarioInput): Promise<RestoreBench> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lifeline-sim-restore-'));
  const ipsw = await writeSyntheticIpsw(dir, spec);
  const archive = await IpswArchive.open(ipsw.path);
  const manifest = await readBuildManifest(archive);
  const tss = await startFakeTssServer();
  const sim = await startSimulator({ phones: [{ timeFactor: 0.01, ...scenario }] });
  const phone = sim.phones[0]!;
  phone.hardware.ticketKey = tss.key.publicKey;
  phone.restoreWith(spec);
  const bus = new SimUsbBus([phone.hardware]);
  const usbmux = new UsbmuxClient({ address: parseUsbmuxSocketAddress(sim.address)! });
  return {
    sim,
    phone,
    tss,
    usbmux,
    bus,
    archive,
    manifest,
    ipswPath: ipsw.path,
    close: async () => {
      bus.close();
      await sim.close();
      archive.close();
      await tss.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Walks DFU/recovery → restore ramdisk; returns the device id on usbmuxd and the ticket the ramdisk booted with. */
export async function bootToRestoreMode(
  bench: RestoreBench,
  behavior: RestoreBehavior,
): Promise<{ deviceId: number; ticket: Buffer; identity: BuildIdentity }> {
  const { phone, manifest } = bench;
  const identity = selectIdentity(manifest, phone.model.boardConfig, behavior)!;
  const requester = apTicketRequester(
    identity,
    { ecid: phone.identity.ecid, chipId: phone.model.cpid, boardId: phone.model.bdid ?? 0 },
    { url: bench.tss.url, attempts: 1 },
  );
  let ticket: Buffer | null = null;
  const result = await runBootChain({
    bus: bench.bus,
    usbmux: bench.usbmux,
    archive: bench.archive,
    manifest,
    identity,
    ecid: phone.identity.ecid,
    requestTicket: async (nonces) => {
      ticket = await requester(nonces);
      return ticket;
    },
    timeouts: FAST_BOOT_CHAIN,
  });
  return { deviceId: result.restorePhone.deviceId, ticket: ticket!, identity };
}

export type HostOptions = {
  deviceId: number;
  ticket: Buffer;
  identity: BuildIdentity;
  behavior: RestoreBehavior;
  label?: string;
  answer?: AnswerHook;
  asrImage?: AsrImageSource;
  /** Acknowledge the final status (default true). */
  acknowledge?: boolean;
  /** Serve the phone's FDR channel (default true; phones with factory data fail with 53 without it). */
  fdr?: boolean;
};

async function component(bench: RestoreBench, identity: BuildIdentity, name: string, ticket: Buffer): Promise<Buffer> {
  const entry = identity.components.find((c) => c.name === name);
  if (!entry?.path) throw new Error(`no ${name} in the identity`);
  const file = await bench.archive.readSmall(entry.path, 16 * 1024 * 1024);
  return personalise(file, tagForComponent(name)!, ticket).img4;
}

async function defaultAnswer(bench: RestoreBench, options: HostOptions, request: PlistDict): Promise<PlistDict> {
  const { identity, ticket } = options;
  const args = isPlistDict(request.Arguments) ? request.Arguments : {};
  switch (request.DataType) {
    case 'RootTicket':
      return { RootTicketData: ticket };
    case 'KernelCache':
      return { KernelCacheFile: await component(bench, identity, 'KernelCache', ticket) };
    case 'DeviceTree':
      return { DeviceTreeFile: await component(bench, identity, 'DeviceTree', ticket) };
    case 'SystemImageRootHash':
      return { SystemImageRootHashFile: await component(bench, identity, 'SystemVolume', ticket) };
    case 'SystemImageCanonicalMetadata':
      return { SystemImageCanonicalMetadataFile: await component(bench, identity, 'Ap,SystemVolumeCanonicalMetadata', ticket) };
    case 'NORData': {
      const firmware = identity.components
        .filter((c) => c.flags.IsFirmwarePayload && c.name !== 'LLB' && c.name !== 'RestoreSEP')
        .map((c) => c.name);
      const ordered = ['iBoot', ...firmware.filter((n) => n !== 'iBoot')];
      return {
        LlbImageData: await component(bench, identity, 'LLB', ticket),
        NorImageData: await Promise.all(ordered.map((n) => component(bench, identity, n, ticket))),
        RestoreSEPImageData: await component(bench, identity, 'RestoreSEP', ticket),
        SEPImageData: await component(bench, identity, 'SEP', ticket),
      };
    }
    case 'BuildIdentityDict':
      return { BuildIdentityDict: identity.raw, Variant: typeof args.Variant === 'string' ? args.Variant : 'Erase' };
    case 'ReceiptManifest':
      return { ReceiptManifest: identity.raw.Manifest as PlistDict };
    case 'FirmwareUpdaterData': {
      const updater = coprocessorUpdaterFor({ archive: bench.archive, identity, tss: { url: bench.tss.url, attempts: 1 } });
      return { FirmwareResponseData: await updater.responseData(args, new AbortController().signal) };
    }
    case 'BasebandData':
      // A stand-in stitched firmware: the zip magic is all the default modem check asks for.
      return { BasebandData: Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(60, 7)]) };
    default:
      return {};
  }
}

export async function runScriptedHost(bench: RestoreBench, options: HostOptions): Promise<HostRun> {
  const stream = await bench.usbmux.connect(options.deviceId, RESTORED_PORT, { timeoutMs: 10_000 });
  const channel = new PlistChannel(stream, { format: 'xml', maxBytes: 4 * 1024 * 1024, timeoutMs: 60_000 });
  const run: HostRun = {
    status: null,
    log: null,
    dataTypes: [],
    progress: [],
    checkpoints: [],
    messages: [],
    crashed: false,
    asrError: null,
  };
  const label = options.label ?? 'scripted-host';
  const fdr: Promise<FdrAgent | null> =
    options.fdr === false
      ? Promise.resolve(null)
      : startFdrAgent({ connect: (port) => bench.usbmux.connect(options.deviceId, port, { timeoutMs: 10_000 }), connectAttempts: 1 }).catch(
          () => null,
        );
  try {
    await channel.send(encodeQueryType(label));
    const type = await channel.receive();
    const version = isPlistDict(type) && typeof type.RestoreProtocolVersion === 'number' ? type.RestoreProtocolVersion : 15;
    await channel.send(encodeQueryValue('HardwareInfo', label));
    await channel.receive();
    await channel.send(
      encodeStartRestore(
        buildRestoreOptions(options.behavior === 'Erase' ? 'erase' : 'update', { uuid: 'a1b2c3d4-0000-4000-8000-000000000001' }),
        version,
        label,
      ),
    );
    for (;;) {
      let message: PlistValue;
      try {
        message = await channel.receive();
      } catch {
        return run;
      }
      if (!isPlistDict(message)) continue;
      const type = String(message.MsgType);
      run.messages.push(type);
      if (type === 'ProgressMsg') run.progress.push(Number(message.Operation));
      else if (type === 'CheckpointMsg') run.checkpoints.push(String(message.CHECKPOINT_NAME));
      else if (type === 'RestoredCrash') run.crashed = true;
      else if (type === 'StatusMsg') {
        run.status = Number(message.Status);
        run.log = typeof message.Log === 'string' ? message.Log : null;
        if (run.status === 0 && options.acknowledge !== false) await channel.send(encodeReceivedFinalStatus()).catch(() => undefined);
        return run;
      } else if (type === 'DataRequestMsg' || type === 'AsyncDataRequestMsg') {
        const dataType = String(message.DataType);
        run.dataTypes.push(dataType);
        if (dataType === 'SystemImageData') {
          await sendSystemImage(bench, options, typeof message.DataPort === 'number' ? message.DataPort : ASR_DEFAULT_DATA_PORT).catch(
            (error: unknown) => {
              run.asrError = error instanceof Error ? error.message : String(error);
            },
          );
          continue;
        }
        let answer = await defaultAnswer(bench, options, message);
        if (options.answer) answer = await options.answer(dataType, answer, message);
        if (dataType === 'PersonalizedBootObjectV3') {
          await streamBootObject(bench, options, channel, message, answer);
          continue;
        }
        await channel.send(answer).catch(() => undefined);
      }
    }
  } finally {
    channel.close();
    (await fdr)?.stop();
  }
}

async function streamBootObject(
  bench: RestoreBench,
  options: HostOptions,
  channel: PlistChannel,
  request: PlistDict,
  override: PlistDict,
): Promise<void> {
  const args = isPlistDict(request.Arguments) ? request.Arguments : {};
  const bytes =
    override.FileBytes instanceof Uint8Array
      ? Buffer.from(override.FileBytes)
      : await component(bench, options.identity, String(args.ImageName), options.ticket);
  for (let at = 0; at < bytes.length; at += FILE_DATA_CHUNK_BYTES)
    await channel.send({ FileData: bytes.subarray(at, at + FILE_DATA_CHUNK_BYTES) });
  await channel.send({ FileDataDone: true });
}

async function sendSystemImage(bench: RestoreBench, options: HostOptions, port: number): Promise<void> {
  const osPath = options.identity.components.find((c) => c.name === 'OS')?.path;
  if (!osPath) throw new Error('no OS image in the identity');
  const socket = await bench.usbmux.connect(options.deviceId, port, { timeoutMs: 10_000 });
  const client = await AsrClient.connect(socket, { messageTimeoutMs: 30_000 });
  await client.sendImage(options.asrImage ?? ipswEntryImageSource(bench.archive, osPath));
}

/** Waits until the phone has left restore mode and booted on into `mode`. */
export function waitForMode(phone: VirtualIphone, mode: string, timeoutMs = 20_000): Promise<void> {
  if (phone.hardware.mode === mode) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      phone.events.off('mode', onMode);
      reject(new Error(`the phone stayed in ${phone.hardware.mode}, never reached ${mode}`));
    }, timeoutMs);
    const onMode = (next: string): void => {
      if (next !== mode) return;
      clearTimeout(timer);
      phone.events.off('mode', onMode);
      resolve();
    };
    phone.events.on('mode', onMode);
  });
}
