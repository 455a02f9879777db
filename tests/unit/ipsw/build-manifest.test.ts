import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemError } from '../../../common/api';
import {
  checkFitsPhone,
  decodeBuildManifest,
  parseBuildManifest,
  readBuildManifest,
  selectIdentity,
} from '../../../main/ipsw/build-manifest';
import { IpswArchive } from '../../../main/ipsw/ipsw-reader';
import { encodeXmlPlist } from '../../../main/plist/plist-codec';
import type { PlistDict } from '../../../main/plist/plist-value';
import { syntheticBuildManifest, writeSyntheticIpsw, type SyntheticIpswSpec } from '../../../main/sim/synthetic-ipsw';
import { nothingOr, thrownBy } from '../../thrown';

const fiveS: SyntheticIpswSpec = {
  productTypes: ['iPhone6,1', 'iPhone6,2'],
  boards: [
    { boardConfig: 'n51ap', cpid: 0x8960, bdid: 0x00 },
    { boardConfig: 'n53ap', cpid: 0x8960, bdid: 0x02 },
  ],
  version: '12.5.8',
  build: '16H88',
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'build-manifest-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('BuildManifest', () => {
  it('parses identities with hex ids, board, variant and components with paths and digests', () => {
    const manifest = parseBuildManifest(syntheticBuildManifest(fiveS));
    expect(manifest).toMatchObject({
      productVersion: '12.5.8',
      productBuildVersion: '16H88',
      buildMajor: 16,
      supportedProductTypes: ['iPhone6,1', 'iPhone6,2'],
    });
    expect(manifest.identities).toHaveLength(4);
    const erase = manifest.identities[0]!;
    expect(erase).toMatchObject({ apChipId: 0x8960, apBoardId: 0, apSecurityDomain: 1, deviceClass: 'n51ap', restoreBehavior: 'Erase' });
    expect(erase.uniqueBuildId).toHaveLength(20);
    const ibss = erase.components.find((c) => c.name === 'iBSS')!;
    expect(ibss).toMatchObject({ path: 'Firmware/dfu/iBSS.n51.RELEASE.im4p', trusted: true, flags: { Personalize: true } });
    expect(ibss.digest).toHaveLength(20);
    expect(erase.components.find((c) => c.name === 'ftap')).toMatchObject({ path: null });
    // docs/protocols/img4.md#digests: two components sharing a file still carry different digests.
    const kernel = erase.components.find((c) => c.name === 'KernelCache')!;
    const restoreKernel = erase.components.find((c) => c.name === 'RestoreKernelCache')!;
    expect(kernel.path).toBe(restoreKernel.path);
    expect(kernel.digest).not.toEqual(restoreKernel.digest);
  });

  it('selects the identity by board (any case) and variant, skipping Research variants', () => {
    const plist = syntheticBuildManifest(fiveS);
    const identities = plist.BuildIdentities as PlistDict[];
    identities.unshift({
      ...identities[2]!,
      Info: { ...(identities[2]!.Info as PlistDict), Variant: 'Research Customer Erase Install (IPSW)' },
    });
    const manifest = parseBuildManifest(plist);
    expect(selectIdentity(manifest, 'N53AP', 'Erase')).toMatchObject({ deviceClass: 'n53ap', variant: 'Customer Erase Install (IPSW)' });
    expect(selectIdentity(manifest, 'n51ap', 'Update')).toMatchObject({ deviceClass: 'n51ap', restoreBehavior: 'Update' });
    expect(selectIdentity(manifest, 'd321ap', 'Erase')).toBeNull();
  });

  it('falls back to the board’s first identity for Update but never for Erase', () => {
    const plist = syntheticBuildManifest({ ...fiveS, boards: [fiveS.boards[0]!] });
    plist.BuildIdentities = (plist.BuildIdentities as PlistDict[]).filter((i) => (i.Info as PlistDict).RestoreBehavior === 'Erase');
    (plist.BuildIdentities[0] as PlistDict).Info = { DeviceClass: 'n51ap', Variant: 'Something Else' };
    const manifest = parseBuildManifest(plist);
    expect(selectIdentity(manifest, 'n51ap', 'Update')).not.toBeNull();
    expect(selectIdentity(manifest, 'n51ap', 'Erase')).toBeNull();
  });

  it('accepts an IPSW for this phone and rejects one for another board or product, naming what is wrong', async () => {
    const ipsw = await writeSyntheticIpsw(dir, fiveS);
    const archive = await IpswArchive.open(ipsw.path);
    try {
      const manifest = await readBuildManifest(archive);
      expect(checkFitsPhone(manifest, archive, 'iPhone6,2', 'N53AP').identity.deviceClass).toBe('n53ap');
      expect(() => checkFitsPhone(manifest, archive, 'iPhone7,2', 'n61ap')).toThrow(/not iPhone7,2/);
      expect(thrownBy(() => checkFitsPhone(manifest, archive, 'iPhone6,1', 'n61ap'))).toMatchObject({
        code: 'ipsw-wrong-phone',
        problem: { detail: expect.stringContaining('no erase-restore for board n61ap') },
        cause: { message: expect.stringContaining('n51ap, n53ap') },
      });
    } finally {
      archive.close();
    }
  });

  it('rejects an IPSW that lacks a file its manifest names', async () => {
    const sub = await mkdtemp(path.join(dir, 'omit-'));
    const ipsw = await writeSyntheticIpsw(sub, { ...fiveS, omitComponent: 'iBEC' });
    const archive = await IpswArchive.open(ipsw.path);
    try {
      const manifest = await readBuildManifest(archive);
      expect(thrownBy(() => checkFitsPhone(manifest, archive, 'iPhone6,1', 'n51ap'))).toMatchObject({
        code: 'build-manifest-invalid',
        cause: { message: expect.stringMatching(/lacks files its manifest needs: iBEC/) },
      });
    } finally {
      archive.close();
    }
  });

  it('refuses component paths that escape the archive', () => {
    const plist = syntheticBuildManifest(fiveS);
    const first = (plist.BuildIdentities as PlistDict[])[0]!;
    ((first.Manifest as PlistDict).iBSS as PlistDict).Info = { Path: '../../etc/passwd' };
    expect(thrownBy(() => parseBuildManifest(plist))).toMatchObject({
      code: 'build-manifest-invalid',
      cause: { message: expect.stringMatching(/outside the firmware file/) },
    });
  });

  it('explains a manifest with missing pieces', () => {
    expect(thrownBy(() => parseBuildManifest({ ProductVersion: '1', ProductBuildVersion: '1A1' }))).toMatchObject({
      code: 'build-manifest-invalid',
      cause: { message: expect.stringMatching(/no BuildIdentities/) },
    });
    expect(
      thrownBy(() => parseBuildManifest({ BuildIdentities: [{ Info: {} }], ProductVersion: '1', ProductBuildVersion: '1A1' })),
    ).toMatchObject({ code: 'build-manifest-invalid', cause: { message: expect.stringMatching(/no Info.DeviceClass/) } });
    expect(() => decodeBuildManifest(Buffer.from('not a plist'))).toThrow(ProblemError);
  });

  it('never throws anything but a ProblemError on arbitrary plist input', () => {
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.integer(),
        fc.boolean(),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(
          fc.constantFrom('BuildIdentities', 'Info', 'DeviceClass', 'Manifest', 'Path', 'ProductVersion', 'ProductBuildVersion', 'x'),
          tie('node'),
          { maxKeys: 5 },
        ),
      ),
    })).node;
    fc.assert(
      fc.property(value, (input) => {
        expect(thrownBy(() => decodeBuildManifest(encodeXmlPlist(input as PlistDict)))).toSatisfy(nothingOr(ProblemError));
      }),
      { numRuns: 300 },
    );
  });
});
