import { createHash } from 'node:crypto';
import { isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';

/**
 * Info.plist, the one file of a backup the host writes (docs/protocols/mobilebackup2.md#backup-folder-layout), with the keys Finder,
 * iTunes and idevicebackup2 write. `Applications` stays an (empty) dict: libimobiledevice 1.3.0's
 * restore refuses an Info.plist without it (docs/protocols/mobilebackup2.md#restoring-a-backup).
 */

/** The iTunes version hosts announce; any plausible 12.x works. */
export const ITUNES_VERSION = '12.13.2.3';

export type InfoPlistInput = {
  udid: string;
  /** The phone's default lockdown domain (GetValue without Key, inside a session). */
  lockdown: PlistDict;
  /** com.apple.iTunes domain, when the phone answered. */
  itunesSettings?: PlistDict;
  date: Date;
  installedApplications?: string[];
};

export function buildInfoPlist(input: InfoPlistInput): PlistDict {
  const { lockdown } = input;
  const text = (key: string): string | undefined => {
    const value = lockdown[key];
    return typeof value === 'string' && value.length <= 1024 ? value : undefined;
  };
  // libimobiledevice: 32 uppercase hex characters, fresh per backup host; derived from the UDID so repeated backups agree.
  const guid = createHash('sha256').update(`lifeline-guid:${input.udid}`).digest('hex').slice(0, 32).toUpperCase();
  const info: PlistDict = {
    Applications: {},
    'Build Version': text('BuildVersion') ?? '',
    'Device Name': text('DeviceName') ?? 'iPhone',
    'Display Name': text('DeviceName') ?? 'iPhone',
    GUID: guid,
    'Installed Applications': input.installedApplications ?? [],
    'Last Backup Date': input.date,
    'Product Type': text('ProductType') ?? '',
    'Product Version': text('ProductVersion') ?? '',
    'Serial Number': text('SerialNumber') ?? '',
    'Target Identifier': input.udid,
    'Target Type': 'Device',
    'Unique Identifier': input.udid.toUpperCase(),
    'iTunes Files': {},
    'iTunes Settings': input.itunesSettings && isPlistDict(input.itunesSettings) ? input.itunesSettings : {},
    'iTunes Version': ITUNES_VERSION,
  };
  const optional: [string, string][] = [
    ['ICCID', 'IntegratedCircuitCardIdentity'],
    ['IMEI', 'InternationalMobileEquipmentIdentity'],
    ['MEID', 'MobileEquipmentIdentifier'],
    ['Phone Number', 'PhoneNumber'],
  ];
  for (const [infoKey, lockdownKey] of optional) {
    const value: PlistValue | undefined = text(lockdownKey);
    if (value !== undefined) info[infoKey] = value;
  }
  return info;
}
