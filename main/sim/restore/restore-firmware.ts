/**
 * What the virtual phone knows of the firmware being restored onto it: the synthetic IPSW's BuildManifest (the
 * digests every personalised image must have) and its OS image (size and SHA-256 the ASR stream must hash to).
 * A real phone learns the same from its ticket; the sim derives it from the synthetic IPSW spec it is given.
 */
import { compareVersions } from '../../../common/ios-version';
import { DEVICE_MODELS, type DeviceModel } from '../../../common/device-table';
import { parseBuildManifest, type BuildIdentity, type BuildManifest, type RestoreBehavior } from '../../ipsw/build-manifest';
import { propertyBytes, type Im4m } from '../../img4/im4m';
import { syntheticBuildManifest, syntheticOsImageFacts, type SyntheticIpswSpec } from '../synthetic-ipsw';

export type RestoreFirmware = {
  spec: SyntheticIpswSpec;
  manifest: BuildManifest;
  os: { size: number; sha256: string };
};

export function restoreFirmwareOf(spec: SyntheticIpswSpec): RestoreFirmware {
  return { spec, manifest: parseBuildManifest(syntheticBuildManifest(spec)), os: syntheticOsImageFacts(spec) };
}

/** Sealed system volumes arrived with iOS 15. */
export function hasSealedSystemVolume(version: string): boolean {
  return compareVersions(version, '15.0') >= 0;
}

/**
 * A build number shaped like Apple's (docs/protocols/firmware.md#buildmanifest): the iOS major + 4 (iOS 12 → 16), a
 * letter for the minor version, then digits — here the product type's, so each practice IPSW has its own build.
 * Hosts read the leading number as the build's major version (idevicerestore treats a build without one as pre-iOS 9
 * and asks no signing server), so a practice build must start with it.
 */
export function practiceBuildNumber(version: string, productType: string): string {
  // Versions may read like `27.x (current)`: only the leading digits of each part count.
  const [major, minor] = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  return `${(major ?? 0) + 4}${String.fromCharCode(0x41 + Math.min(minor ?? 0, 25))}${productType.replace(/\D/g, '')}`;
}

/** The practice / default IPSW of a product type: the newest iOS the model runs, every board of the type. */
export function practiceIpswSpec(productType: string, osBytes: number): SyntheticIpswSpec | null {
  const boards = DEVICE_MODELS.filter((m) => m.productType === productType);
  const model = boards[0];
  if (!model) return null;
  return {
    productTypes: [productType],
    boards: boards.map((m) => ({ boardConfig: m.boardConfig, cpid: m.cpid, bdid: m.bdid ?? 0 })),
    version: model.maxIos,
    build: practiceBuildNumber(model.maxIos, productType),
    osBytes,
    zip64: true,
    sealedSystemVolume: hasSealedSystemVolume(model.maxIos),
  };
}

/**
 * The identity a restore ramdisk belongs to: the one of this board whose RestoreRamDisk digest the boot ticket signed
 * (Erase and Update identities boot different ramdisks). Null when the ticket is for none of them.
 */
export function identityOfBootTicket(
  firmware: RestoreFirmware,
  model: DeviceModel,
  bootTicket: Im4m,
): { identity: BuildIdentity; behavior: RestoreBehavior } | null {
  const signed = propertyBytes(bootTicket.images.get('rdsk'), 'DGST');
  if (!signed) return null;
  for (const identity of firmware.manifest.identities) {
    if (identity.deviceClass !== model.boardConfig.toLowerCase()) continue;
    const ramdisk = identity.components.find((c) => c.name === 'RestoreRamDisk');
    if (!ramdisk?.digest || !ramdisk.digest.equals(Buffer.from(signed))) continue;
    const behavior: RestoreBehavior = identity.restoreBehavior === 'Update' ? 'Update' : 'Erase';
    return { identity, behavior };
  }
  return null;
}
