import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBuildManifest, selectIdentity, type BuildIdentity } from '../../../main/ipsw/build-manifest';
import { IpswArchive } from '../../../main/ipsw/ipsw-reader';
import { isPlistDict, type PlistDict } from '../../../main/plist/plist-value';
import { CoprocessorUpdateError, coprocessorUpdaterFor, parseFirmwareUpdaterRequest } from '../../../main/restore/coprocessor-updater';
import { startFakeTssServer, type FakeTssServer } from '../../../main/sim/fake-tss-server';
import { coprocessorRequestProblem } from '../../../main/sim/restore/practice-coprocessor-signature';
import { coprocessorReports } from '../../../main/sim/restore/synthetic-coprocessors';
import { writeSyntheticIpsw, type SyntheticIpswSpec } from '../../../main/sim/synthetic-ipsw';
import { buildSavageTicketRequest, buildSeTicketRequest, savagePatchComponent } from '../../../main/tss/tss-coprocessor-request';
import { postTssRequest } from '../../../main/tss/tss-client';
import { TssError } from '../../../main/tss/tss-error';
import { rejectionOf } from '../../thrown';

const spec: SyntheticIpswSpec = {
  productTypes: ['iPhone11,2'],
  boards: [{ boardConfig: 'd321ap', cpid: 0x8020, bdid: 0x0e }],
  version: '18.7.10',
  build: '22H31',
  osBytes: 1024,
  baseband: false,
};
const model = { cpid: 0x8020, productType: 'iPhone11,2' };
const [se, savage] = coprocessorReports(model, 0x1234n);

let dir: string;
let archive: IpswArchive;
let identity: BuildIdentity;
let tss: FakeTssServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lifeline-coprocessor-'));
  archive = await IpswArchive.open((await writeSyntheticIpsw(dir, spec)).path);
  identity = selectIdentity(await readBuildManifest(archive), 'd321ap', 'Erase')!;
  tss = await startFakeTssServer();
});

afterAll(async () => {
  archive.close();
  await tss.close();
  await rm(dir, { recursive: true, force: true });
});

function args(report: typeof se, extra: PlistDict = {}): PlistDict {
  return {
    MessageArgType: 'FirmwareResponseData',
    MessageArgUpdaterName: report!.updater,
    MessageArgInfo: report!.info,
    DeviceGeneratedTags: { ResponseTags: report!.responseTags },
    ...extra,
  };
}

describe('coprocessor TSS requests', () => {
  it('sends the SE chip’s ids and nonce with the production hashes only, and the phone’s ticket override', () => {
    const { request, component, ticketKey } = buildSeTicketRequest(identity, se!.info, { '@SE2,Ticket': true });
    expect(request).toMatchObject({ '@BBTicket': true, '@SE2,Ticket': true, 'SE,ChipID': 0x64, 'SE,Nonce': se!.info['SE,Nonce'] });
    expect(request['@SE,Ticket']).toBeUndefined();
    expect(ticketKey).toBe('SE2,Ticket');
    expect(component).toBe('SE,UpdatePayload');
    const entry = request['SE,UpdatePayload'] as PlistDict;
    expect(Object.keys(entry).sort()).toEqual(['Digest', 'ProductionUpdatePayloadHash']);
    expect(coprocessorRequestProblem(request)).toBeNull();
  });

  it('keeps the development hashes instead for a development secure element', () => {
    const { request } = buildSeTicketRequest(identity, { ...se!.info, 'SE,IsDev': true });
    expect(Object.keys(request['SE,UpdatePayload'] as PlistDict).sort()).toEqual(['DevelopmentUpdatePayloadHash', 'Digest']);
  });

  it('picks the Savage patch by silicon revision and signing world', () => {
    expect(savagePatchComponent(true, Buffer.from([0x20]))).toBe('Savage,B2-Prod-Patch');
    expect(savagePatchComponent(true, Buffer.from([0x31]))).toBe('Savage,B2-Prod-Patch');
    expect(savagePatchComponent(false, Buffer.from([0xa1]))).toBe('Savage,BA-Dev-Patch');
    expect(savagePatchComponent(true, undefined)).toBe('Savage,B0-Prod-Patch');
    const { request, component } = buildSavageTicketRequest(identity, savage!.info);
    expect(component).toBe('Savage,B2-Prod-Patch');
    expect(request).toMatchObject({ '@Savage,Ticket': true, 'Savage,ProductionMode': true, SEP: { Digest: expect.any(Uint8Array) } });
    expect(coprocessorRequestProblem(request)).toBeNull();
  });

  it('refuses a chip report without its nonce, and overrides of manifest entries', () => {
    const { 'SE,Nonce': _nonce, ...withoutNonce } = se!.info;
    expect(() => buildSeTicketRequest(identity, withoutNonce)).toThrow(TssError);
    expect(() => buildSavageTicketRequest(identity, { ...savage!.info, 'Savage,Nonce': Buffer.alloc(4096) })).toThrow(TssError);
    expect(() => buildSeTicketRequest(identity, se!.info, { 'SE,UpdatePayload': { Digest: Buffer.alloc(48) } })).toThrow(TssError);
    expect(() => buildSeTicketRequest(identity, se!.info, { ApECID: 1 })).toThrow(TssError);
  });
});

describe('the practice signing server and coprocessor requests', () => {
  it('signs a well-formed SE request and refuses one without the chip’s nonce (STATUS 94)', async () => {
    const { request } = buildSeTicketRequest(identity, se!.info);
    expect((await postTssRequest(request, { url: tss.url, attempts: 1 })).plist?.['SE,Ticket']).toBeInstanceOf(Uint8Array);
    const { 'SE,Nonce': _nonce, ...withoutNonce } = request;
    expect(coprocessorRequestProblem(withoutNonce)).toBe('SE,Nonce is not data');
    expect((await postTssRequest(withoutNonce, { url: tss.url, attempts: 1 })).status).toBe(94);
  });

  it('refuses a Savage request whose patch is for the other signing world', async () => {
    const { request, component } = buildSavageTicketRequest(identity, savage!.info);
    const { [component]: patch, ...rest } = request;
    const wrongWorld = { ...rest, 'Savage,B2-Dev-Patch': patch! };
    expect(coprocessorRequestProblem(wrongWorld)).toContain('other signing world');
    expect((await postTssRequest(wrongWorld, { url: tss.url, attempts: 1 })).status).toBe(94);
  });
});

describe('coprocessor updater', () => {
  it('answers SE with the signing server’s ticket and the raw firmware, Savage behind a 16-byte header', async () => {
    const updater = coprocessorUpdaterFor({ archive, identity, tss: { url: tss.url, attempts: 1 } });
    const seAnswer = await updater.responseData(args(se), new AbortController().signal);
    expect(isPlistDict(seAnswer) && seAnswer['SE,Ticket']).toBeInstanceOf(Uint8Array);
    const payload = await archive.readSmall(identity.components.find((c) => c.name === 'SE,UpdatePayload')!.path!, 1 << 20);
    expect(Buffer.from((seAnswer as PlistDict).FirmwareData as Uint8Array).equals(payload)).toBe(true);

    const savageAnswer = (await updater.responseData(args(savage), new AbortController().signal)) as PlistDict;
    const patch = await archive.readSmall(identity.components.find((c) => c.name === 'Savage,B2-Prod-Patch')!.path!, 1 << 20);
    const framed = Buffer.from(savageAnswer.FirmwareData as Uint8Array);
    expect(framed.readUInt32LE(4)).toBe(patch.length);
    expect(framed.subarray(16).equals(patch)).toBe(true);
    expect(savageAnswer['Savage,Ticket']).toBeInstanceOf(Uint8Array);
  });

  it('leaves the firmware out when the phone does not list FirmwareData', async () => {
    const updater = coprocessorUpdaterFor({ archive, identity, tss: { url: tss.url, attempts: 1 } });
    const answer = (await updater.responseData(
      args(se, { DeviceGeneratedTags: { ResponseTags: ['SE,Ticket'] } }),
      new AbortController().signal,
    )) as PlistDict;
    expect(answer.FirmwareData).toBeUndefined();
  });

  it('fails clearly for an updater it does not serve, a Yonkers module, or a request of another type', async () => {
    const updater = coprocessorUpdaterFor({ archive, identity, tss: { url: tss.url, attempts: 1 } });
    const signal = new AbortController().signal;
    expect(await rejectionOf(() => updater.responseData(args(se, { MessageArgUpdaterName: 'Rose' }), signal))).toBeInstanceOf(
      CoprocessorUpdateError,
    );
    expect(
      await rejectionOf(() => updater.responseData(args(savage, { MessageArgInfo: { YonkersDeviceInfo: {} } }), signal)),
    ).toBeInstanceOf(CoprocessorUpdateError);
    expect(() => parseFirmwareUpdaterRequest(args(se, { MessageArgType: 'FirmwareResponsePreflight' }))).toThrow(CoprocessorUpdateError);
  });

  it('passes the signing server’s refusal on as a typed error', async () => {
    tss.faults.status = 94;
    try {
      const updater = coprocessorUpdaterFor({ archive, identity, tss: { url: tss.url, attempts: 1 } });
      expect(await rejectionOf(() => updater.responseData(args(se), new AbortController().signal))).toMatchObject({
        name: 'TssError',
        code: 'not-signed',
      });
    } finally {
      tss.faults.status = null;
    }
  });
});
