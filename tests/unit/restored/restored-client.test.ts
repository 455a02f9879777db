import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PlistChannel } from '../../../main/plist/framing';
import { isPlistDict, type PlistDict, type PlistValue } from '../../../main/plist/plist-value';
import type { RestoreDataProvider } from '../../../main/restored/restore-data-provider';
import { RestoredClient, type PhonePortOpener, type RestoredEvent } from '../../../main/restored/restored-client';
import { RestoredError } from '../../../main/restored/restored-error';
import type { RestoredProgress } from '../../../main/restored/restored-progress';
import { buildEraseRestoreOptions } from '../../../main/restored/restored-wire';
import { createDuplexPair } from '../../../main/sim/duplex-pair';
import { ByteReader, StreamClosedError } from '../../../main/wire/byte-reader';
import { rejectionOf } from '../../thrown';

const bytes = (text: string): Buffer => Buffer.from(text);

/** A phone whose restored says what the test scripts; other ports are served by per-port handlers. */
function scriptedPhone(options: { type?: string; version?: number } = {}) {
  const [hostEnd, phoneEnd] = createDuplexPair();
  phoneEnd.on('error', () => undefined);
  const channel = new PlistChannel(phoneEnd, { format: 'xml', maxBytes: 64 * 1024 * 1024 });
  const ports = new Map<number, (end: Duplex) => void>();
  const opened: number[] = [];
  const opener: PhonePortOpener = async (port) => {
    opened.push(port);
    if (port === 62078) return hostEnd;
    const handler = ports.get(port);
    if (!handler) throw new Error(`connection refused on ${port}`);
    const [host, phone] = createDuplexPair();
    phone.on('error', () => undefined);
    handler(phone);
    return host;
  };
  const answerQueryType = async (): Promise<void> => {
    const request = await channel.receive();
    expect(request).toMatchObject({ Request: 'QueryType' });
    await channel.send({ Type: options.type ?? 'com.apple.mobile.restored', RestoreProtocolVersion: options.version ?? 15 });
  };
  return { channel, phoneEnd, ports, opened, opener, answerQueryType };
}

/** Collects every plist sent on one DataPort connection until the host closes it. */
function plistsOn(end: Duplex): Promise<PlistValue[]> {
  const channel = new PlistChannel(end, { maxBytes: 64 * 1024 * 1024 });
  return (async () => {
    const received: PlistValue[] = [];
    for (;;) {
      try {
        received.push(await channel.receive());
      } catch (error) {
        if (error instanceof StreamClosedError) return received;
        throw error;
      }
    }
  })();
}

function rawOn(end: Duplex): Promise<Buffer> {
  const reader = new ByteReader(end, { maxBuffered: 64 * 1024 * 1024 });
  return (async () => {
    const pieces: Buffer[] = [];
    for (;;) {
      try {
        pieces.push(await reader.readUpTo(65536));
      } catch (error) {
        if (error instanceof StreamClosedError) return Buffer.concat(pieces);
        throw error;
      }
    }
  })();
}

function fakeProvider(overrides: Partial<RestoreDataProvider> = {}): RestoreDataProvider {
  return {
    defaultVariant: 'Erase',
    rootTicket: async () => bytes('IM4M-ticket'),
    sendSystemImage: async (connection) => {
      connection.write(Buffer.from('OS-IMAGE-BYTES'));
    },
    personalisedComponent: async (component) => bytes(`personalised ${component}`),
    norImages: async () => ({
      llb: bytes('LLB'),
      firmware: [
        { component: 'AppleLogo', data: bytes('logo') },
        { component: 'iBoot', data: bytes('iBoot') },
        { component: 'DeviceTree', data: bytes('dtre') },
      ],
      sep: bytes('SEP'),
    }),
    componentsWithFlag: async (flag) => (flag === 'IsFUDFirmware' ? ['AOP', 'Homer'] : []),
    personalisedImage: async (component) => bytes(`img ${component}`),
    buildIdentity: async () => ({ Info: { Variant: 'Customer Erase Install (IPSW)' } }),
    receiptManifest: async () => ({ LLB: { Digest: new Uint8Array(20) } }),
    bootObject: async (name) => new Uint8Array(20000).fill(name.length),
    ...overrides,
  };
}

const restoreOptions = buildEraseRestoreOptions({ uuid: '0d5c0f0e-1111-4a4a-9b9b-0123456789ab' });

async function startedPhone(options: { type?: string; version?: number } = {}) {
  const phone = scriptedPhone(options);
  const connecting = RestoredClient.connect(phone.opener);
  await phone.answerQueryType();
  const client = await connecting;
  return { phone, client };
}

async function expectStartRestore(channel: PlistChannel): Promise<PlistDict> {
  const start = await channel.receive();
  if (!isPlistDict(start) || !isPlistDict(start.RestoreOptions)) throw new Error('not StartRestore');
  expect(start).toMatchObject({ Request: 'StartRestore', RestoreProtocolVersion: 15 });
  return start;
}

describe('RestoredClient: identification', () => {
  it('refuses a phone whose port 62078 is lockdownd (normal mode)', async () => {
    const phone = scriptedPhone({ type: 'com.apple.mobile.lockdown' });
    const connecting = rejectionOf(() => RestoredClient.connect(phone.opener));
    await phone.answerQueryType();
    const error = await connecting;
    expect(error).toBeInstanceOf(RestoredError);
    expect((error as RestoredError).kind).toBe('not-restore-mode');
  });

  it('reads HardwareInfo from the reply key named after the query', async () => {
    const { phone, client } = await startedPhone();
    const asked = client.hardwareInfo();
    expect(await phone.channel.receive()).toMatchObject({ Request: 'QueryValue', QueryKey: 'HardwareInfo' });
    await phone.channel.send({ HardwareInfo: { ChipID: 0x8960, BoardID: 2, UniqueChipID: 0x1234567890n, SupportsImage4: true } });
    // Integers that fit a double come back as numbers (docs/protocols/plist.md#integers).
    expect(await asked).toMatchObject({ ChipID: 0x8960, UniqueChipID: 0x1234567890 });
    expect(client.protocolVersion).toBe(15);
    client.close();
  });
});

describe('RestoredClient: the message loop', () => {
  it('answers an A7 erase end to end: tickets, components, NOR, ASR on its port, progress, final status', async () => {
    const { phone, client } = await startedPhone();
    const events: RestoredEvent[] = [];
    const progress: RestoredProgress[] = [];
    const kernelOnPort = new Promise<PlistValue[]>((resolve) => phone.ports.set(50001, (end) => resolve(plistsOn(end))));
    const asrBytes = new Promise<Buffer>((resolve) => phone.ports.set(12345, (end) => resolve(rawOn(end))));
    const running = client.restore({
      restoreOptions,
      provider: fakeProvider(),
      onEvent: (event) => events.push(event),
      onProgress: (p) => progress.push(p),
    });

    const start = await expectStartRestore(phone.channel);
    expect(start.RestoreOptions).toMatchObject({ FlashNOR: true, UUID: restoreOptions.UUID });
    const ch = phone.channel;
    await ch.send({ MsgType: 'CheckpointMsg', CHECKPOINT_ID: 0x60b, CHECKPOINT_NAME: 'update_ticket', CHECKPOINT_RESULT: 0 });
    await ch.send({ MsgType: 'DataRequestMsg', DataType: 'RootTicket' });
    expect(await ch.receive()).toEqual({ RootTicketData: bytes('IM4M-ticket') });
    await ch.send({ MsgType: 'ProgressMsg', Operation: 11, Progress: 100 });
    await ch.send({ MsgType: 'DataRequestMsg', DataType: 'SystemImageData' });
    expect((await asrBytes).toString()).toBe('OS-IMAGE-BYTES');
    await ch.send({ MsgType: 'ProgressMsg', Operation: 13, Progress: 60 });
    await ch.send({ MsgType: 'ProgressMsg', Operation: 12, Progress: 10 });
    await ch.send({ MsgType: 'DataRequestMsg', DataType: 'KernelCache', DataPort: 50001 });
    expect(await kernelOnPort).toEqual([{ KernelCacheFile: bytes('personalised KernelCache') }]);
    await ch.send({ MsgType: 'DataRequestMsg', DataType: 'NORData', Arguments: {} });
    const nor = await ch.receive();
    expect(nor).toEqual({
      LlbImageData: bytes('LLB'),
      NorImageData: [bytes('iBoot'), bytes('logo'), bytes('dtre')],
      SEPImageData: bytes('SEP'),
    });
    await ch.send({ MsgType: 'DataRequestMsg', DataType: 'FDRTrustData' });
    expect(await ch.receive()).toEqual({});
    await ch.send({ MsgType: 'DataRequestMsg', DataType: 'FUDData', Arguments: { FUDImageList: true } });
    expect(await ch.receive()).toEqual({ FUDImageList: ['AOP', 'Homer'] });
    await ch.send({ MsgType: 'DataRequestMsg', DataType: 'FUDData', Arguments: { ImageName: 'Homer' } });
    expect(await ch.receive()).toEqual({ ImageName: 'Homer', FUDImageData: bytes('img Homer') });
    await ch.send({ MsgType: 'StatusMsg', Status: 0 });
    expect(await ch.receive()).toEqual({ MsgType: 'ReceivedFinalStatusMsg' });

    const result = await running;
    expect(result).toMatchObject({ outcome: 'restored' });
    expect(phone.opened).toEqual([62078, 12345, 50001]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'checkpoint', name: 'update_ticket' }));
    const fractions = progress.map((p) => p.fraction);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]!).toBeGreaterThanOrEqual(fractions[i - 1]!);
    expect(progress.at(-1)).toMatchObject({ fraction: 1 });
    expect(progress.map((p) => p.stage)).toEqual(['partitioning', 'restoring-system', 'partitioning', 'finishing']);
  });

  it('answers an unknown DataType with an empty dict and says so, instead of leaving the phone waiting', async () => {
    const { phone, client } = await startedPhone();
    const events: RestoredEvent[] = [];
    const running = client.restore({ restoreOptions, provider: fakeProvider(), onEvent: (event) => events.push(event) });
    await expectStartRestore(phone.channel);
    await phone.channel.send({ MsgType: 'DataRequestMsg', DataType: 'NeverHeardOfItData', Arguments: { X: 1 } });
    expect(await phone.channel.receive()).toEqual({});
    await phone.channel.send({ MsgType: 'DataRequestMsg', DataType: 'BasebandData' });
    expect(await phone.channel.receive()).toEqual({});
    await phone.channel.send({ MsgType: 'StatusMsg', Status: 0 });
    await phone.channel.receive();
    expect(await running).toMatchObject({ outcome: 'restored' });
    expect(events).toContainEqual({ type: 'unanswered-data-request', dataType: 'NeverHeardOfItData', reason: expect.any(String) });
    expect(events).toContainEqual({ type: 'unanswered-data-request', dataType: 'BasebandData', reason: expect.any(String) });
  });

  it('turns a failing StatusMsg into a typed error carrying the number, AMRError and the phone log', async () => {
    const { phone, client } = await startedPhone();
    const running = rejectionOf(() => client.restore({ restoreOptions, provider: fakeProvider() }));
    await expectStartRestore(phone.channel);
    await phone.channel.send({ MsgType: 'StatusMsg', Status: 53, AMRError: 53, Log: 'FDR: could not recover' });
    const error = await running;
    expect(error).toBeInstanceOf(RestoredError);
    expect(error).toMatchObject({ kind: 'status', status: 53, amrError: 53, log: 'FDR: could not recover' });
    expect((error as Error).message).toContain('failed to recover FDR data');
  });

  it('refuses a hostile oversize plist without reading it', async () => {
    const { phone, client } = await startedPhone();
    const running = rejectionOf(() => client.restore({ restoreOptions, provider: fakeProvider() }));
    await expectStartRestore(phone.channel);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(512 * 1024 * 1024);
    phone.phoneEnd.write(header);
    const error = await running;
    expect(error).toMatchObject({ kind: 'bad-message' });
  });

  it('refuses a message without MsgType', async () => {
    const { phone, client } = await startedPhone();
    const running = rejectionOf(() => client.restore({ restoreOptions, provider: fakeProvider() }));
    await expectStartRestore(phone.channel);
    await phone.channel.send({ Hello: 'there' });
    expect(await running).toMatchObject({ kind: 'protocol' });
  });

  it('returns cancelled when the caller aborts mid-restore, and closes the connection', async () => {
    const { phone, client } = await startedPhone();
    const abort = new AbortController();
    const closed = new Promise<void>((resolve) => phone.phoneEnd.once('close', () => resolve()));
    const running = client.restore({
      restoreOptions,
      provider: fakeProvider(),
      signal: abort.signal,
      onProgress: () => abort.abort(),
    });
    await expectStartRestore(phone.channel);
    await phone.channel.send({ MsgType: 'ProgressMsg', Operation: 13, Progress: 5 });
    expect(await running).toEqual({ outcome: 'cancelled' });
    await closed;
  });

  it('fails with the DataType when the provider cannot produce the data', async () => {
    const { phone, client } = await startedPhone();
    const provider = fakeProvider({
      personalisedComponent: async () => {
        throw new Error('KernelCache is not in this IPSW');
      },
    });
    const running = rejectionOf(() => client.restore({ restoreOptions, provider }));
    await expectStartRestore(phone.channel);
    await phone.channel.send({ MsgType: 'DataRequestMsg', DataType: 'KernelCache' });
    const error = await running;
    expect(error).toMatchObject({ kind: 'data-provider', dataType: 'KernelCache' });
  });

  it('reports a crash and the backtrace when restored dies', async () => {
    const { phone, client } = await startedPhone();
    const running = rejectionOf(() => client.restore({ restoreOptions, provider: fakeProvider() }));
    await expectStartRestore(phone.channel);
    await phone.channel.send({ MsgType: 'RestoredCrash', RestoredBacktrace: ['frame 0', 'frame 1'] });
    await phone.channel.send({ MsgType: 'PreviousRestoreLogMsg', PreviousRestoreLog: 'old log' });
    phone.phoneEnd.destroy();
    expect(await running).toMatchObject({ kind: 'crashed', log: 'frame 0\nframe 1' });
  });

  it('fails when the phone refuses the baseband update', async () => {
    const { phone, client } = await startedPhone();
    const running = rejectionOf(() => client.restore({ restoreOptions, provider: fakeProvider() }));
    await expectStartRestore(phone.channel);
    await phone.channel.send({ MsgType: 'BBUpdateStatusMsg', Accepted: false });
    expect(await running).toMatchObject({ kind: 'baseband-rejected' });
  });

  it('declines attestation, streams boot objects in 8 KiB FileData plists, and answers BuildIdentityDict', async () => {
    const { phone, client } = await startedPhone();
    const running = client.restore({ restoreOptions, provider: fakeProvider() });
    const ch = phone.channel;
    await expectStartRestore(ch);
    await ch.send({ MsgType: 'RestoreAttestation' });
    expect(await ch.receive()).toEqual({ RestoreShouldAttest: false });
    await ch.send({ MsgType: 'DataRequestMsg', DataType: 'PersonalizedBootObjectV3', Arguments: { ImageName: 'Ap,RestoreTMU' } });
    const sizes: number[] = [];
    for (;;) {
      const chunk = await ch.receive();
      if (!isPlistDict(chunk)) throw new Error('not a dict');
      if (chunk.FileDataDone === true) break;
      sizes.push((chunk.FileData as Uint8Array).length);
    }
    expect(sizes).toEqual([8192, 8192, 3616]);
    await ch.send({ MsgType: 'DataRequestMsg', DataType: 'BuildIdentityDict', Arguments: {} });
    expect(await ch.receive()).toEqual({ BuildIdentityDict: { Info: { Variant: 'Customer Erase Install (IPSW)' } }, Variant: 'Erase' });
    await ch.send({ MsgType: 'DataRequestMsg', DataType: 'PersonalizedBootObjectV3', Arguments: { ImageName: '../../etc/passwd' } });
    expect(await rejectionOf(() => running)).toMatchObject({ kind: 'protocol' });
  });

  it('answers asynchronous URLAsset requests as binary plists on their own ports', async () => {
    const { phone, client } = await startedPhone();
    const asked: string[] = [];
    const provider = fakeProvider({
      httpAsset: async (asset) => {
        asked.push(asset.url);
        return { status: 200, headers: { 'Content-Type': 'application/octet-stream' }, body: bytes(`body of ${asset.url}`) };
      },
    });
    const answers = [60001, 60002].map(
      (port) => new Promise<PlistValue[]>((resolve) => phone.ports.set(port, (end) => resolve(plistsOn(end)))),
    );
    const running = client.restore({ restoreOptions, provider });
    await expectStartRestore(phone.channel);
    for (const [index, port] of [60001, 60002].entries()) {
      await phone.channel.send({
        MsgType: 'AsyncDataRequestMsg',
        DataType: 'URLAsset',
        DataPort: port,
        Arguments: { RequestMethod: 'GET', RequestURL: `https://example.invalid/${index}` },
      });
    }
    const replies = await Promise.all(answers);
    expect(replies[1]).toEqual([
      {
        ResponseBody: bytes('body of https://example.invalid/1'),
        ResponseBodyDone: true,
        ResponseHeaders: { 'Content-Type': 'application/octet-stream' },
        ResponseStatus: 200,
      },
    ]);
    expect(asked.sort()).toEqual(['https://example.invalid/0', 'https://example.invalid/1']);
    await phone.channel.send({ MsgType: 'StatusMsg', Status: 0 });
    await phone.channel.receive();
    expect(await running).toMatchObject({ outcome: 'restored' });
  });

  it('times out when the phone goes silent while nothing is being answered', async () => {
    const phone = scriptedPhone();
    const connecting = RestoredClient.connect(phone.opener, { timeouts: { messageIdleMs: 30 } });
    await phone.answerQueryType();
    const client = await connecting;
    const running = rejectionOf(() => client.restore({ restoreOptions, provider: fakeProvider() }));
    await expectStartRestore(phone.channel);
    expect(await running).toMatchObject({ kind: 'timeout' });
  });

  it('does not hang when the phone stops reading an answer', async () => {
    const phone = scriptedPhone();
    const connecting = RestoredClient.connect(phone.opener, { timeouts: { answerMs: 50 } });
    await phone.answerQueryType();
    const client = await connecting;
    // The phone opens its data port and never reads from it.
    phone.ports.set(50002, () => undefined);
    const provider = fakeProvider({ personalisedComponent: async () => new Uint8Array(4 * 1024 * 1024) });
    const running = rejectionOf(() => client.restore({ restoreOptions, provider }));
    await expectStartRestore(phone.channel);
    await phone.channel.send({ MsgType: 'DataRequestMsg', DataType: 'KernelCache', DataPort: 50002 });
    expect(await running).toMatchObject({ kind: 'timeout' });
  });
});
