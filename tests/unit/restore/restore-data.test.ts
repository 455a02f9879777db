import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImg4 } from '../../../main/img4/img4';
import { parseIm4p } from '../../../main/img4/im4p';
import { generateTicketSigningKey, signTicket } from '../../../main/img4/ticket-signature';
import { readBuildManifest, selectIdentity, type BuildIdentity } from '../../../main/ipsw/build-manifest';
import { IpswArchive } from '../../../main/ipsw/ipsw-reader';
import { IpswRestoreData, RestoreDataError } from '../../../main/restore/restore-data';
import type { RestoreDataRequest } from '../../../main/restored/restore-data-provider';
import { createDuplexPair } from '../../../main/sim/duplex-pair';
import { runAsrDevice } from '../../../main/sim/restore/asr-device';
import { syntheticOsImageFacts, writeSyntheticIpsw, type SyntheticIpswSpec } from '../../../main/sim/synthetic-ipsw';
import { rejectionOf } from '../../thrown';

const spec: SyntheticIpswSpec = {
  productTypes: ['iPhone6,2'],
  boards: [{ boardConfig: 'n53ap', cpid: 0x8960, bdid: 2 }],
  version: '12.5.7',
  build: '16H81',
  osBytes: 3 * 1024 * 1024 + 17,
  baseband: false,
};
const ticket = signTicket(generateTicketSigningKey(), new Map([['ECID', 0x1234n]]), new Map());

let dir: string;
let archive: IpswArchive;
let identity: BuildIdentity;
let data: IpswRestoreData;

const request = (dataType: string, args: Record<string, unknown> = {}): RestoreDataRequest => ({
  dataType,
  arguments: args as RestoreDataRequest['arguments'],
  async: false,
  signal: new AbortController().signal,
});

/** The component's IM4P type and the ticket inside a personalised IMG4. */
function opened(img4: Uint8Array): { type: string; ticket: Buffer } {
  const parts = parseImg4(img4);
  return { type: parseIm4p(parts.im4p).type, ticket: Buffer.from(parts.im4m ?? []) };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lifeline-restore-data-'));
  archive = await IpswArchive.open((await writeSyntheticIpsw(dir, spec)).path);
  identity = selectIdentity(await readBuildManifest(archive), 'n53ap', 'Erase')!;
  data = new IpswRestoreData({ archive, identity, ticket, behavior: 'erase' });
});

afterAll(async () => {
  archive?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('IpswRestoreData over a synthetic iPhone 5s IPSW', () => {
  it('answers RootTicket with the AP ticket the boot chain used', async () => {
    expect(Buffer.from((await data.rootTicket())!)).toEqual(ticket);
  });

  it('personalises the kernel cache and device tree with the ticket, typed as they boot', async () => {
    expect(opened(await data.personalisedComponent('KernelCache', request('KernelCache')))).toEqual({ type: 'krnl', ticket });
    expect(opened(await data.personalisedComponent('DeviceTree', request('DeviceTree')))).toEqual({ type: 'dtre', ticket });
  });

  it('lists the flash firmware from the manifest flags, with LLB, RestoreSEP and SEP in their own places', async () => {
    const nor = await data.norImages(request('NORData'));
    expect(nor.firmware.map((image) => image.component)).toEqual(['iBoot']);
    expect(opened(nor.firmware[0]!.data)).toEqual({ type: 'ibot', ticket });
    expect(opened(nor.llb)).toEqual({ type: 'illb', ticket });
    expect(opened(nor.restoreSep!).type).toBe('rsep');
    expect(opened(nor.sep!).type).toBe('sepi');
    expect(nor.sepPatch).toBeUndefined();
  });

  it('streams the OS image from the IPSW over ASR, byte for byte', async () => {
    const [hostEnd, phoneEnd] = createDuplexPair();
    const phone = runAsrDevice(phoneEnd, { checksumChunks: true, expectedSha256: syntheticOsImageFacts(spec).sha256 });
    await data.sendSystemImage(hostEnd, request('SystemImageData'));
    expect(await phone).toMatchObject({ outcome: 'received', bytesReceived: spec.osBytes, digestMatches: true });
  });

  it('answers BuildIdentityDict and ReceiptManifest from the identity, with the erase variant by default', async () => {
    expect(await data.buildIdentity(request('BuildIdentityDict'), { recoveryOs: false })).toBe(identity.raw);
    expect(await data.receiptManifest()).toBe(identity.raw.Manifest);
    expect(data.defaultVariant).toBe('Erase');
    expect(new IpswRestoreData({ archive, identity, ticket, behavior: 'update' }).defaultVariant).toBe('Update');
  });

  it('finds components by manifest flag for the image-list requests', async () => {
    expect(await data.componentsWithFlag('IsLoadedByiBoot')).toEqual(['RestoreTrustCache']);
    expect(await data.componentsWithFlag('IsFUDFirmware')).toEqual([]);
  });

  it('refuses what this restore cannot supply, in words', async () => {
    expect(await rejectionOf(() => data.basebandData(request('BasebandData')))).toBeInstanceOf(RestoreDataError);
    expect(await rejectionOf(() => data.firmwareUpdaterData(request('FirmwareUpdaterData')))).toBeInstanceOf(RestoreDataError);
    expect(await rejectionOf(() => data.buildIdentity(request('BuildIdentityDict'), { recoveryOs: true }))).toBeInstanceOf(
      RestoreDataError,
    );
    expect(
      await rejectionOf(() => data.bootObject('__GlobalManifest__', false, request('SourceBootObjectV4', { Variant: '../../../etc' }))),
    ).toBeInstanceOf(RestoreDataError);
  });
});
