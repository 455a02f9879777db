import type { DeviceModel } from '../../common/device-table';
import type { PlistDict, PlistValue } from '../plist/plist-value';
import { LockdownDomain } from '../lockdown/lockdown-wire';
import type { PhoneIdentityValues } from './phone-identity';
import type { Scenario } from './scenario';
import { buildVersionFor } from './scenario';

/** docs/protocols/lockdown.md#values-before-a-session: what an unpaired host may read before StartSession (default domain only). */
export const PRE_SESSION_KEYS: ReadonlySet<string> = new Set([
  'BasebandCertId',
  'BasebandKeyHashInformation',
  'BasebandSerialNumber',
  'BasebandVersion',
  'BoardId',
  'BuildVersion',
  'CPUArchitecture',
  'ChipID',
  'DeviceClass',
  'DeviceColor',
  'DeviceName',
  'DieID',
  'HardwareModel',
  'HasSiDP',
  'PartitionType',
  'ProductName',
  'ProductType',
  'ProductVersion',
  'ProductionSOC',
  'ProtocolVersion',
  'SupportedDeviceFamilies',
  'TelephonyCapability',
  'UniqueChipID',
  'UniqueDeviceID',
  'WiFiAddress',
]);

/** Readable one key at a time before a session, but not part of the pre-session dict (pairing needs them). */
export const PRE_SESSION_SINGLE_KEYS: ReadonlySet<string> = new Set(['DevicePublicKey']);

export type LockdownValueSource = {
  scenario: Scenario;
  model: DeviceModel;
  identity: PhoneIdentityValues;
  devicePublicKeyPem: string;
  /** true while a session of a paired host is open on some connection. */
  trustedHostAttached: boolean;
};

function integer(value: bigint): number | bigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** The default-domain dict a paired session sees. */
export function defaultDomainValues(source: LockdownValueSource): PlistDict {
  const { scenario, model, identity } = source;
  // Only the S5L89xx–A6 boards (0x8900–0x895x) are 32-bit.
  const arm64 = !(model.cpid >= 0x8900 && model.cpid < 0x8960);
  const dict: PlistDict = {
    ActivationState: scenario.activated ? 'Activated' : 'Unactivated',
    ActivationStateAcknowledged: scenario.activated,
    BasebandCertId: 3840149528,
    BasebandKeyHashInformation: { AKeyStatus: 2, SKeyStatus: 0 },
    BasebandSerialNumber: Buffer.from(identity.imei.slice(0, 8), 'latin1'),
    BasebandVersion: '5.00.00',
    BluetoothAddress: identity.bluetoothAddress,
    // docs/protocols/lockdown.md#activation-lock-values: true while the phone waits for activation.
    BrickState: !scenario.activated,
    BuildVersion: buildVersionFor(scenario),
    CPUArchitecture: arm64 ? 'arm64' : 'armv7',
    ChipID: model.cpid,
    DeviceClass: 'iPhone',
    DeviceColor: '1',
    DeviceName: scenario.deviceName,
    DevicePublicKey: Buffer.from(source.devicePublicKeyPem),
    DieID: integer(identity.ecid ^ 0x5a5a5a5an),
    HardwareModel: model.boardConfig.toUpperCase(),
    HasSiDP: true,
    HostAttached: true,
    InternationalMobileEquipmentIdentity: identity.imei,
    MLBSerialNumber: `${identity.serialNumber}${identity.udid.replace(/-/g, '').slice(-5).toUpperCase()}`,
    ModelNumber: 'MWLT2',
    PartitionType: 'GUID_partition_scheme',
    PasswordProtected: scenario.passcodeSet && scenario.locked,
    ProductName: 'iPhone OS',
    ProductType: model.productType,
    ProductVersion: scenario.ios,
    ProductionSOC: true,
    ProtocolVersion: '2',
    RegionInfo: 'LL/A',
    SIMStatus: 'kCTSIMSupportSIMStatusNotInserted',
    SerialNumber: identity.serialNumber,
    SupportedDeviceFamilies: [1],
    TelephonyCapability: true,
    TimeIntervalSince1970: new Date().getTime() / 1000,
    TimeZone: 'Europe/London',
    TimeZoneOffsetFromUTC: 0,
    TrustedHostAttached: source.trustedHostAttached,
    UniqueChipID: integer(identity.ecid),
    UniqueDeviceID: identity.udid,
    Uses24HourClock: true,
    WiFiAddress: identity.wifiAddress,
  };
  if (model.bdid !== null) dict.BoardId = model.bdid;
  return dict;
}

export function domainValues(domain: string, source: LockdownValueSource): PlistDict | undefined {
  const { scenario } = source;
  switch (domain) {
    case LockdownDomain.Battery:
      return {
        BatteryCurrentCapacity: scenario.battery,
        BatteryIsCharging: scenario.battery < 100,
        ExternalChargeCapable: true,
        ExternalConnected: true,
        FullyCharged: scenario.battery === 100,
        GasGaugeCapability: true,
        HasBattery: true,
      };
    case LockdownDomain.Backup:
      return { WillEncrypt: scenario.backupEncryption, CloudBackupEnabled: false };
    case LockdownDomain.MobileITunes:
      return { MinITunesVersion: '10.0.1', MinMacOSVersion: '10.6.8' };
    case LockdownDomain.International:
      return { Locale: 'en_GB', Language: 'en', Keyboard: 'en_GB' };
    case LockdownDomain.PurpleBuddy:
      return { SetupDone: scenario.setupDone, SetupFinishedAllSteps: scenario.setupDone };
    case LockdownDomain.FindMyIPhone:
      return { IsAssociated: scenario.findMy };
    case LockdownDomain.WirelessLockdown:
      return { EnableWifiConnections: false };
    case LockdownDomain.DiskUsage: {
      const capacity = 64 * 1000 ** 3;
      const used = scenario.filesystem.totalBytes;
      return {
        TotalDiskCapacity: capacity,
        TotalSystemCapacity: 8 * 1000 ** 3,
        TotalDataCapacity: capacity - 8 * 1000 ** 3,
        TotalDataAvailable: Math.max(0, capacity - 8 * 1000 ** 3 - used),
        AmountDataAvailable: Math.max(0, capacity - 8 * 1000 ** 3 - used),
        AmountDataReserved: 0,
      };
    }
    default:
      return undefined;
  }
}

export function valueAt(dict: PlistDict | undefined, key: string): PlistValue | undefined {
  return dict !== undefined && Object.hasOwn(dict, key) ? dict[key] : undefined;
}
