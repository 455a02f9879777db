/**
 * A practice .bbfw for synthetic IPSWs (docs/protocols/baseband.md#practice-signatures): a deflated ZIP shaped like a
 * Mav7Mav8 (iPhone 5s class) modem firmware — two signed images (`restoresbl1.mbn`, `sbl1.mbn`), unsigned modem
 * images that travel unchanged, and metadata files the host must leave out — plus the BasebandFirmware manifest
 * component and identity keys that describe it.
 */
import { createHash } from 'node:crypto';
import { ZipBuilder } from '../../baseband/zip-builder';
import type { PlistDict } from '../../plist/plist-value';
import { practiceMbn, practicePartialDigest } from './practice-baseband-signature';

export type SyntheticBaseband = {
  /** BbChipID of the modem (default 0x5A00E1). */
  bbChipId?: number;
  /** Code bytes per modem image (default 16 KiB). */
  imageBytes?: number;
};

export const SYNTHETIC_BB_CHIP_ID = 0x5a00e1;
export const SYNTHETIC_BBFW_SIGNED: Readonly<Record<string, string>> = { RestoreSBL1: 'restoresbl1.mbn', SBL1: 'sbl1.mbn' };
const UNSIGNED_IMAGES = ['apps.mbn', 'qdsp6sw.mbn', 'rpm.mbn', 'tz.mbn', 'restorepsi_dummy.bin'];
const DROPPED = ['Info.plist', 'bbfw-build.txt'];

export type SyntheticBbfw = { fileName: string; bytes: Buffer; component: PlistDict; identityKeys: PlistDict };

export function syntheticBbfw(build: string, options: SyntheticBaseband = {}): SyntheticBbfw {
  const imageBytes = options.imageBytes ?? 16 * 1024;
  const zip = new ZipBuilder(512 * 1024 * 1024);
  const component: PlistDict = {};
  for (const [element, file] of Object.entries(SYNTHETIC_BBFW_SIGNED)) {
    const image = practiceMbn(`${build}/${file}`, imageBytes, true);
    zip.addFile(file, image);
    component[`${element}-PartialDigest`] = practicePartialDigest(image);
  }
  for (const file of UNSIGNED_IMAGES) zip.addFile(file, practiceMbn(`${build}/${file}`, imageBytes, false));
  for (const file of DROPPED) zip.addFile(file, Buffer.from(`${file} for ${build}\n`));
  const bytes = zip.finish();
  const fileName = `Firmware/Mav7Mav8-${build}.Release.bbfw`;
  component.Digest = createHash('sha1').update(bytes).digest();
  component.Trusted = true;
  component.Info = { Path: fileName, IsFirmwarePayload: false, Personalize: false };
  const keyHash = (label: string): Buffer => createHash('sha1').update(`${label}:${build}`).digest();
  return {
    fileName,
    bytes,
    component,
    identityKeys: {
      BbChipID: `0x${(options.bbChipId ?? SYNTHETIC_BB_CHIP_ID).toString(16).toUpperCase()}`,
      BbProvisioningManifestKeyHash: keyHash('provisioning'),
      BbActivationManifestKeyHash: keyHash('activation'),
      BbCalibrationManifestKeyHash: keyHash('calibration'),
      BbFactoryActivationManifestKeyHash: keyHash('factory'),
      BbSkeyId: keyHash('skey'),
    },
  };
}
