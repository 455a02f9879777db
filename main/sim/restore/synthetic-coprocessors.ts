/**
 * The coprocessors of the virtual phones and their firmware in synthetic IPSWs (docs/protocols/restored.md#firmware-updater-data):
 * every A12-or-later iPhone has a secure element (SE), and those with Face ID a Savage chip. The same model decides
 * what the BuildManifest carries (identity keys, `SE,UpdatePayload`, `Savage,B?-*-Patch`) and what the phone reports
 * in its FirmwareUpdaterData requests, so the two always agree. The chip ids are practice values.
 */
import { createHash } from 'node:crypto';
import { DEVICE_MODELS, type DeviceModel } from '../../../common/device-table';
import type { PlistDict } from '../../plist/plist-value';

export type SyntheticCoprocessor = 'SE' | 'Savage';

/** A12-or-later iPhones without Face ID (iPhone SE 2nd and 3rd generation). */
const TOUCH_ID_PRODUCT_TYPES: ReadonlySet<string> = new Set(['iPhone12,8', 'iPhone14,6']);
const FIRST_A12_CPID = 0x8020;
/** S5L89xx: the 32-bit chips' ids sort above the A12's. */
const FIRST_S5L_CPID = 0x8900;
const SAVAGE_CHIP_ID = 0x2;
const SAVAGE_PATCH_EPOCH = 3;
export const SAVAGE_PATCHES = ['B0', 'B2', 'BA'].flatMap((revision) => ['Prod', 'Dev'].map((world) => `Savage,${revision}-${world}-Patch`));

function isA12OrLater(cpid: number): boolean {
  return cpid >= FIRST_A12_CPID && cpid < FIRST_S5L_CPID;
}

/** The coprocessors a board's phone carries. */
export function coprocessorsOf(model: Pick<DeviceModel, 'cpid' | 'productType'>): SyntheticCoprocessor[] {
  if (!model.productType.startsWith('iPhone') || !isA12OrLater(model.cpid)) return [];
  return TOUCH_ID_PRODUCT_TYPES.has(model.productType) ? ['SE'] : ['SE', 'Savage'];
}

/** The model a synthetic board stands for (by its board config), or a stand-in from the spec's first product type. */
export function modelOfBoard(boardConfig: string, cpid: number, productTypes: string[]): Pick<DeviceModel, 'cpid' | 'productType'> {
  const known = DEVICE_MODELS.find((m) => m.boardConfig.toLowerCase() === boardConfig.toLowerCase());
  return known ?? { cpid, productType: productTypes[0] ?? '' };
}

/** A SE,ChipID from the set idevicerestore knows, by chip generation (practice assignment). */
export function seChipIdOf(cpid: number): number {
  if (cpid < 0x8101) return 0x64;
  if (cpid < 0x8110) return 0xc8;
  if (cpid < 0x8120) return 0xd2;
  if (cpid < 0x8130) return 0x2c;
  if (cpid < 0x8150) return 0x36;
  return 0x37;
}

/** Savage,Revision: B2 silicon on A12 phones, BA later. */
export function savageRevisionOf(cpid: number): Buffer {
  return Buffer.from([cpid < 0x8030 ? 0x20 : 0xa1]);
}

export type CoprocessorFile = { component: string; path: string; bytes: Buffer; entry: PlistDict };

const sha384 = (bytes: Uint8Array): Buffer => createHash('sha384').update(bytes).digest();
const sha256 = (...parts: (string | Uint8Array)[]): Buffer =>
  parts.reduce((hash, part) => hash.update(part), createHash('sha256')).digest();

/** The identity keys and firmware files of a board's coprocessors in a synthetic IPSW of `build`. */
export function coprocessorFirmware(
  model: Pick<DeviceModel, 'cpid' | 'productType'>,
  build: string,
): { identityKeys: PlistDict; files: CoprocessorFile[] } {
  const identityKeys: PlistDict = {};
  const files: CoprocessorFile[] = [];
  const file = (component: string, path: string, extra: (bytes: Buffer) => PlistDict = () => ({})): void => {
    const bytes = Buffer.from(`${component}:${path}:${build}:`.repeat(24));
    files.push({ component, path, bytes, entry: { Digest: sha384(bytes), ...extra(bytes), Info: { Path: path, Personalize: false } } });
  };
  for (const coprocessor of coprocessorsOf(model)) {
    if (coprocessor === 'SE') {
      const chipId = seChipIdOf(model.cpid);
      identityKeys['SE,ChipID'] = chipId;
      file('SE,UpdatePayload', `Firmware/SE/SE.UpdatePayload.${chipId.toString(16)}.${build}.bin`, (bytes) => ({
        ProductionUpdatePayloadHash: sha256('production', bytes),
        DevelopmentUpdatePayloadHash: sha256('development', bytes),
      }));
    } else {
      identityKeys['Savage,ChipID'] = SAVAGE_CHIP_ID;
      identityKeys['Savage,PatchEpoch'] = SAVAGE_PATCH_EPOCH;
      for (const patch of SAVAGE_PATCHES) file(patch, `Firmware/Savage/${patch.slice('Savage,'.length)}.${build}.bin`);
    }
  }
  return { identityKeys, files };
}

export type CoprocessorReport = {
  updater: SyntheticCoprocessor;
  info: PlistDict;
  responseTags: string[];
  deviceGeneratedRequest?: PlistDict;
};

/** What the phone's chips report (stable per phone): the MessageArgInfo of each updater's FirmwareUpdaterData. */
export function coprocessorReports(model: Pick<DeviceModel, 'cpid' | 'productType'>, ecid: bigint): CoprocessorReport[] {
  const seed = (what: string, bytes: number): Buffer => sha256(what, ecid.toString(16)).subarray(0, bytes);
  return coprocessorsOf(model).map((updater): CoprocessorReport => {
    if (updater === 'SE') {
      const info: PlistDict = {
        'SE,ChipID': seChipIdOf(model.cpid),
        'SE,ID': seed('se-id', 16),
        'SE,Nonce': seed('se-nonce', 32),
        'SE,RootKeyIdentifier': seed('se-root-key', 32),
        'SE,IsDev': false,
      };
      return { updater, info, responseTags: ['SE,Ticket', 'FirmwareData'], deviceGeneratedRequest: { '@SE,Ticket': true } };
    }
    const info: PlistDict = {
      'Savage,ChipID': SAVAGE_CHIP_ID,
      'Savage,PatchEpoch': SAVAGE_PATCH_EPOCH,
      'Savage,UID': seed('savage-uid', 16),
      'Savage,Nonce': seed('savage-nonce', 32),
      'Savage,ProductionMode': true,
      'Savage,ReadECKey': true,
      'Savage,ReadFWKey': true,
      'Savage,AllowOfflineBoot': false,
      'Savage,Revision': savageRevisionOf(model.cpid),
    };
    return { updater, info, responseTags: ['Savage,Ticket', 'FirmwareData'] };
  });
}
