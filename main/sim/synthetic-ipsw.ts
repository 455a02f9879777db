import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { encodeXmlPlist } from '../plist/plist-codec';
import { tagForComponent } from '../img4/component-tags';
import { im4pDigest } from '../img4/img4-digest';
import { buildIm4p, rewriteIm4pType } from '../img4/im4p';
import type { PlistDict, PlistValue } from '../plist/plist-value';
import { syntheticBbfw, type SyntheticBaseband, type SyntheticBbfw } from './restore/synthetic-bbfw';
import { coprocessorFirmware, modelOfBoard } from './restore/synthetic-coprocessors';
import { fillerBlock, writeZip, type ZipEntrySource } from './zip-writer';

/**
 * Synthetic IPSWs for tests and practice mode (never Apple's files): a real ZIP (optionally ZIP64) holding a
 * BuildManifest.plist shaped like docs/protocols/firmware.md#buildmanifest (Erase + Update identities per board), a Restore.plist
 * (docs/protocols/firmware.md#restore-plist), small component files and a stored "OS" image of filler bytes.
 */
export type SyntheticBoard = { boardConfig: string; cpid: number; bdid: number };

export type SyntheticIpswSpec = {
  productTypes: string[];
  boards: SyntheticBoard[];
  version: string;
  build: string;
  /** Size of the stored OS image (the bulk of the file). */
  osBytes?: number;
  zip64?: boolean;
  /** Leave one component out of the archive although the manifest names it (bad-input tests). */
  omitComponent?: string;
  /** Replace BuildManifest.plist with these bytes (bad-input tests). */
  manifestBytes?: Buffer;
  /** Sealed system volume (iOS 15+): SystemVolume and Ap,SystemVolumeCanonicalMetadata components. */
  sealedSystemVolume?: boolean;
  /**
   * The modem firmware (docs/protocols/baseband.md#which-phones-have-one): by default iPhones carry a practice .bbfw
   * and everything else (iPod touch, Wi-Fi iPads) none; `false` leaves it out, an object shapes it.
   */
  baseband?: SyntheticBaseband | false;
  /**
   * Coprocessor firmware (docs/protocols/restored.md#firmware-updater-data): by default each board carries what its
   * phone has (SE on A12 and later, Savage with Face ID); `false` leaves it out.
   */
  coprocessors?: false;
};

export type SyntheticIpsw = {
  path: string;
  fileName: string;
  size: number;
  sha1: string;
  sha256: string;
  spec: SyntheticIpswSpec;
};

const hex = (value: number, width: number): string => `0x${value.toString(16).toUpperCase().padStart(width, '0')}`;

/** The tag each synthetic component file carries on disk (restore aliases share the plain component's file, docs/protocols/img4.md#component-tags). */
const FILE_TAGS: Record<string, string> = {
  iBSS: 'ibss',
  iBEC: 'ibec',
  LLB: 'illb',
  iBoot: 'ibot',
  DeviceTree: 'dtre',
  RestoreDeviceTree: 'dtre',
  KernelCache: 'krnl',
  RestoreKernelCache: 'krnl',
  RestoreRamDisk: 'rdsk',
  AppleLogo: 'logo',
  RestoreLogo: 'logo',
  SEP: 'sepi',
  RestoreSEP: 'sepi',
  RestoreTrustCache: 'rtsc',
  SystemVolume: 'isys',
  'Ap,SystemVolumeCanonicalMetadata': 'msys',
};

/**
 * A component only one restore behaviour uses (`RestoreRamDisk@Update`): the Update identity boots its own ramdisk, as in
 * Apple's manifests, so the phone can tell an update from an erase by the ramdisk it was booted with.
 */
const BEHAVIOR_SUFFIX = '@';

function componentFiles(spec: SyntheticIpswSpec): Map<string, { name: string; data: Buffer }[]> {
  // Per board: the files each manifest component points at — small real IM4Ps (docs/protocols/img4.md#structures) with
  // deterministic payloads, so personalisation and the virtual phone's digest checks are self-consistent.
  const byBoard = new Map<string, { name: string; data: Buffer }[]>();
  for (const board of spec.boards) {
    const family = board.boardConfig.replace(/ap$/, '');
    const file = (component: string, path: string) => ({
      name: component,
      path,
      data: buildIm4p({
        type: FILE_TAGS[component.split(BEHAVIOR_SUFFIX)[0] ?? component] ?? 'data',
        // Derived from the file, not the component: components sharing a file share its bytes.
        description:
          path.includes('/dfu/') || /\/(LLB|iBoot)\./.test(path) ? 'iBoot-4513.270.14' : `${path.split('/').at(-1) ?? path}-${spec.build}`,
        payload: Buffer.from(`${path}:${spec.build}:`.repeat(8)),
      }),
    });
    byBoard.set(
      board.boardConfig,
      [
        file('iBSS', `Firmware/dfu/iBSS.${family}.RELEASE.im4p`),
        file('iBEC', `Firmware/dfu/iBEC.${family}.RELEASE.im4p`),
        file('LLB', `Firmware/all_flash/LLB.${family}.RELEASE.im4p`),
        file('iBoot', `Firmware/all_flash/iBoot.${family}.RELEASE.im4p`),
        file('DeviceTree', `Firmware/all_flash/DeviceTree.${board.boardConfig}.im4p`),
        file('RestoreDeviceTree', `Firmware/all_flash/DeviceTree.${board.boardConfig}.im4p`),
        file('AppleLogo', `Firmware/all_flash/applelogo@2x~iphone.s5l8960x.im4p`),
        file('RestoreLogo', `Firmware/all_flash/applelogo@2x~iphone.s5l8960x.im4p`),
        file('SEP', `Firmware/all_flash/sep-firmware.${family}.RELEASE.im4p`),
        file('RestoreSEP', `Firmware/all_flash/sep-firmware.${family}.RELEASE.im4p`),
        file('RestoreTrustCache', `Firmware/058-00001-${spec.build}.dmg.trustcache`),
        file('KernelCache', `kernelcache.release.${family}`),
        file('RestoreKernelCache', `kernelcache.release.${family}`),
        file('RestoreRamDisk', `058-00001-${spec.build}.dmg`),
        file(`RestoreRamDisk${BEHAVIOR_SUFFIX}Update`, `058-00002-${spec.build}.dmg`),
        ...(spec.sealedSystemVolume
          ? [
              file('SystemVolume', `Firmware/058-99999-${spec.build}.dmg.root_hash`),
              file('Ap,SystemVolumeCanonicalMetadata', `Firmware/058-99999-${spec.build}.dmg.mtree`),
            ]
          : []),
      ].map(({ name, path, data }) => ({ name: `${name}|${path}`, data })),
    );
  }
  return byBoard;
}

/**
 * RestoreRequestRules shaped like those on every component of Apple's IMG4 manifests (docs/protocols/tss.md#request-rules):
 * EPRO/ESEC follow the fused production/security mode, a demotion override clears EPRO. Clients that add EPRO/ESEC only
 * through these rules (idevicerestore 1.0.0) need them, or the signing server refuses the request.
 */
function restoreRequestRules(production: 'ApRawProductionMode' | 'ApCurrentProductionMode'): PlistValue[] {
  return [
    { Actions: { EPRO: false }, Conditions: { [production]: false, ApRequiresImage4: true } },
    { Actions: { EPRO: true }, Conditions: { [production]: true, ApRequiresImage4: true } },
    { Actions: { EPRO: false }, Conditions: { ApDemotionPolicyOverride: 'Demote', [production]: true, ApRequiresImage4: true } },
    { Actions: { ESEC: false }, Conditions: { ApRawSecurityMode: false, ApRequiresImage4: true } },
    { Actions: { ESEC: true }, Conditions: { ApRawSecurityMode: true, ApRequiresImage4: true } },
  ];
}

export function syntheticBuildManifest(spec: SyntheticIpswSpec): PlistDict {
  const identities: PlistValue[] = [];
  const files = componentFiles(spec);
  const baseband = basebandOf(spec);
  for (const board of spec.boards) {
    for (const [variant, behavior] of [
      ['Customer Erase Install (IPSW)', 'Erase'],
      ['Customer Upgrade Install (IPSW)', 'Update'],
    ] as const) {
      const manifest: PlistDict = {};
      for (const { name, data } of files.get(board.boardConfig) ?? []) {
        const [qualified, path] = name.split('|') as [string, string];
        const [component = qualified, only] = qualified.split(BEHAVIOR_SUFFIX);
        if (only !== undefined && only !== behavior) continue;
        manifest[component] = {
          // The hash of the IM4P as it will be booted: tag rewritten for the restore aliases (docs/protocols/img4.md#digests), so pairs
          // sharing a file still differ.
          Digest: im4pDigest(rewriteIm4pType(data, tagForComponent(component) ?? 'data')),
          Trusted: true,
          Info: {
            Path: path,
            IsFirmwarePayload: component === 'LLB' || component === 'iBoot',
            IsLoadedByiBoot: component === 'RestoreTrustCache',
            Personalize: true,
            RestoreRequestRules: restoreRequestRules('ApRawProductionMode'),
          },
        };
      }
      manifest.OS = {
        Digest: Buffer.alloc(20, 1),
        Trusted: true,
        Info: { Path: osImageName(spec), Personalize: false, RestoreRequestRules: restoreRequestRules('ApCurrentProductionMode') },
      };
      manifest.ftap = {
        Trusted: true,
        Info: { IsFTAB: false, Personalize: false, RestoreRequestRules: restoreRequestRules('ApRawProductionMode') },
      };
      if (baseband) manifest.BasebandFirmware = baseband.component;
      const coprocessors = coprocessorsOfSpec(spec, board);
      for (const file of coprocessors.files) manifest[file.component] = file.entry;
      identities.push({
        ...(baseband?.identityKeys ?? {}),
        ...coprocessors.identityKeys,
        ApChipID: hex(board.cpid, 4),
        ApBoardID: hex(board.bdid, 2),
        ApSecurityDomain: '0x01',
        UniqueBuildID: createHash('sha1').update(`${spec.build}${board.boardConfig}${behavior}`).digest(),
        Info: {
          DeviceClass: board.boardConfig,
          Variant: variant,
          RestoreBehavior: behavior,
          BuildNumber: spec.build,
          FDRSupport: false,
          MinimumSystemPartition: 3000,
        },
        Manifest: manifest,
      });
    }
  }
  return {
    BuildIdentities: identities,
    ManifestVersion: 0,
    ProductBuildVersion: spec.build,
    ProductVersion: spec.version,
    SupportedProductTypes: spec.productTypes,
  };
}

function basebandOf(spec: SyntheticIpswSpec): SyntheticBbfw | null {
  if (spec.baseband === false) return null;
  if (spec.baseband === undefined && !spec.productTypes.some((type) => type.startsWith('iPhone'))) return null;
  return syntheticBbfw(spec.build, spec.baseband ?? {});
}

function coprocessorsOfSpec(spec: SyntheticIpswSpec, board: SyntheticBoard): ReturnType<typeof coprocessorFirmware> {
  if (spec.coprocessors === false) return { identityKeys: {}, files: [] };
  return coprocessorFirmware(modelOfBoard(board.boardConfig, board.cpid, spec.productTypes), spec.build);
}

export function osImageName(spec: Pick<SyntheticIpswSpec, 'build'>): string {
  return `058-99999-${spec.build}.dmg`;
}

const DEFAULT_OS_BYTES = 64 * 1024;

function osImageSeed(spec: Pick<SyntheticIpswSpec, 'build'>): number {
  return spec.build.length * 7919;
}

/** Size and SHA-256 of the OS image a synthetic IPSW stores (what a phone must receive over ASR). */
export function syntheticOsImageFacts(spec: Pick<SyntheticIpswSpec, 'build' | 'osBytes'>): { size: number; sha256: string } {
  const size = spec.osBytes ?? DEFAULT_OS_BYTES;
  const block = fillerBlock(osImageSeed(spec));
  const hash = createHash('sha256');
  for (let left = size; left > 0; left -= block.length) hash.update(left >= block.length ? block : block.subarray(0, left));
  return { size, sha256: hash.digest('hex') };
}

export function syntheticIpswFileName(spec: Pick<SyntheticIpswSpec, 'productTypes' | 'version' | 'build'>): string {
  return `${spec.productTypes.join('_')}_${spec.version}_${spec.build}_Restore.ipsw`;
}

export async function hashFile(path: string): Promise<{ sha1: string; sha256: string; size: number }> {
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    sha1.update(chunk);
    sha256.update(chunk);
    size += chunk.length;
  }
  return { sha1: sha1.digest('hex'), sha256: sha256.digest('hex'), size };
}

export async function writeSyntheticIpsw(directory: string, spec: SyntheticIpswSpec): Promise<SyntheticIpsw> {
  const fileName = syntheticIpswFileName(spec);
  const path = `${directory}/${fileName}`;
  const entries: ZipEntrySource[] = [
    { name: 'BuildManifest.plist', data: spec.manifestBytes ?? encodeXmlPlist(syntheticBuildManifest(spec)) },
    {
      name: 'Restore.plist',
      data: encodeXmlPlist({
        DeviceMap: spec.boards.map((b) => ({ BDID: b.bdid, BoardConfig: b.boardConfig, CPID: b.cpid, Platform: 's5l8960x', SCEP: 1 })),
        ProductBuildVersion: spec.build,
        ProductVersion: spec.version,
        SupportedProductTypes: spec.productTypes,
      }),
    },
  ];
  const seen = new Set<string>();
  for (const list of componentFiles(spec).values()) {
    for (const { name, data } of list) {
      const [component, filePath] = name.split('|') as [string, string];
      if (component.split(BEHAVIOR_SUFFIX)[0] === spec.omitComponent || seen.has(filePath)) continue;
      seen.add(filePath);
      entries.push({ name: filePath, data });
    }
  }
  for (const board of spec.boards) {
    for (const file of coprocessorsOfSpec(spec, board).files) {
      if (file.component === spec.omitComponent || seen.has(file.path)) continue;
      seen.add(file.path);
      entries.push({ name: file.path, data: file.bytes });
    }
  }
  const baseband = basebandOf(spec);
  if (baseband && spec.omitComponent !== 'BasebandFirmware') entries.push({ name: baseband.fileName, data: baseband.bytes });
  if (spec.omitComponent !== 'OS')
    entries.push({ name: osImageName(spec), fillerBytes: spec.osBytes ?? DEFAULT_OS_BYTES, seed: osImageSeed(spec) });
  await writeZip(path, entries, { zip64: spec.zip64 ?? false });
  const { sha1, sha256, size } = await hashFile(path);
  return { path, fileName, size, sha1, sha256, spec };
}
