/**
 * What the virtual phone's restore ramdisk does after StartRestore, as data (docs/protocols/restored.md#the-virtual-phones-restore):
 * the order of its data requests, ProgressMsg operations and checkpoints, per generation. An A7–A11 phone (or any
 * phone on iOS before 17) plays the iOS 12-era order; an A12-or-later phone on iOS 17+ plays the modern one.
 */
import { compareVersions } from '../../../common/ios-version';
import type { DeviceModel } from '../../../common/device-table';
import type { RestoreBehavior } from '../../ipsw/build-manifest';
import type { PlistDict } from '../../plist/plist-value';
import { ASR_DEFAULT_DATA_PORT, RestoredDataType, type RestoredDataTypeName } from '../../restored/restored-wire';
import type { RestoreStage } from '../faults';
import { usesChipUdid } from '../phone-identity';
import type { CoprocessorReport } from './synthetic-coprocessors';

export type RestoreScriptName = 'a7-ios12' | 'a12-ios17';

export type ScriptStep =
  | { kind: 'checkpoint'; id: number; name: string }
  /** Progress -1 = indeterminate. */
  | { kind: 'progress'; operation: number; progress?: number }
  | { kind: 'data'; dataType: RestoredDataTypeName; arguments?: PlistDict; dataPort?: number }
  /** A point where a cable pull (fault `unplugAt`) happens. */
  | { kind: 'stage'; stage: RestoreStage }
  /** The baseband updater's verdict (BBUpdateStatusMsg). */
  | { kind: 'baseband-status' };

export type RestoreScript = {
  name: RestoreScriptName;
  /** ASR: whether the phone asks for per-chunk SHA-1s, and whether it sends a second Initiate (newer phones). */
  asr: { checksumChunks: boolean; reinitiate: boolean };
  steps: ScriptStep[];
};

export type ScriptContext = {
  behavior: RestoreBehavior;
  sealedSystemVolume: boolean;
  fdrSupport: boolean;
  baseband: { chipId: number; certId: number; chipSerial: Uint8Array; nonce: Uint8Array };
  /** The phone's coprocessors, each updated through FirmwareUpdaterData (A12 and later). */
  coprocessors: CoprocessorReport[];
};

const progress = (...operations: number[]): ScriptStep[] => operations.map((operation) => ({ kind: 'progress', operation }));
const data = (
  dataType: RestoredDataTypeName,
  extra: Omit<Extract<ScriptStep, { kind: 'data' }>, 'kind' | 'dataType'> = {},
): ScriptStep => ({ kind: 'data', dataType, ...extra });
const checkpoint = (id: number, name: string): ScriptStep => ({ kind: 'checkpoint', id, name });

export function scriptNameFor(model: DeviceModel, restoredVersion: string): RestoreScriptName {
  return usesChipUdid(model) && compareVersions(restoredVersion, '17.0') >= 0 ? 'a12-ios17' : 'a7-ios12';
}

/** docs/protocols/restored.md#data-requests: asked without the nonce first, then with it. */
function basebandSteps(context: ScriptContext): ScriptStep[] {
  const { chipId, certId, chipSerial, nonce } = context.baseband;
  const args: PlistDict = { ChipID: chipId, CertID: certId, ChipSerialNo: Buffer.from(chipSerial) };
  return [
    { kind: 'stage', stage: 'baseband' },
    ...progress(48),
    data(RestoredDataType.BasebandData, { arguments: args }),
    ...progress(49),
    data(RestoredDataType.BasebandData, { arguments: { ...args, Nonce: Buffer.from(nonce) } }),
    ...progress(19),
    { kind: 'baseband-status' },
  ];
}

/** docs/protocols/restored.md#firmware-updater-data: one request per chip, with its progress operations around it. */
function coprocessorSteps(context: ScriptContext): ScriptStep[] {
  return context.coprocessors.flatMap((chip): ScriptStep[] => {
    const args: PlistDict = {
      MessageArgType: 'FirmwareResponseData',
      MessageArgUpdaterName: chip.updater,
      MessageArgInfo: chip.info,
      DeviceGeneratedTags: { ResponseTags: chip.responseTags },
      ...(chip.deviceGeneratedRequest ? { DeviceGeneratedRequest: chip.deviceGeneratedRequest } : {}),
    };
    const request = data(RestoredDataType.FirmwareUpdaterData, { arguments: args });
    return chip.updater === 'SE' ? [...progress(59), request] : [...progress(60), request, ...progress(62)];
  });
}

/** The order seen from 64-bit iOS 12-era ramdisks (docs/protocols/restored.md#the-virtual-phones-restore). */
function a7Script(context: ScriptContext): RestoreScript {
  const erase = context.behavior === 'Erase';
  return {
    name: 'a7-ios12',
    asr: { checksumChunks: false, reinitiate: false },
    steps: [
      { kind: 'stage', stage: 'ramdisk' },
      ...progress(28),
      ...(erase ? progress(11, 12) : []),
      data(RestoredDataType.RootTicket),
      { kind: 'stage', stage: 'asr' },
      data(RestoredDataType.SystemImageData),
      ...progress(15, 16),
      data(RestoredDataType.KernelCache),
      ...progress(27, 17, 25),
      data(RestoredDataType.NORData),
      ...progress(18),
      ...basebandSteps(context),
      ...(context.fdrSupport ? [data(RestoredDataType.FDRTrustData)] : []),
      ...progress(29, 44),
      { kind: 'stage', stage: 'final-reboot' },
    ],
  };
}

/** The checkpoint stream and requests of an A12+ phone on iOS 17/18 (docs/protocols/restored.md#the-virtual-phones-restore). */
function a12Script(context: ScriptContext): RestoreScript {
  const erase = context.behavior === 'Erase';
  return {
    name: 'a12-ios17',
    asr: { checksumChunks: true, reinitiate: true },
    steps: [
      checkpoint(0x655, 'is_host_compatible'),
      checkpoint(0x604, 'set_weight_from_options'),
      checkpoint(0x68f, 'libauthinstall_callback'),
      checkpoint(0x608, 'device_has_hoover'),
      { kind: 'stage', stage: 'ramdisk' },
      checkpoint(0x60b, 'update_ticket'),
      data(RestoredDataType.RootTicket),
      checkpoint(0x60d, 'wait_for_storage'),
      ...progress(28),
      checkpoint(0x60e, 'update_NAND_firmware'),
      ...progress(58),
      checkpoint(0x60f, 'clear_remap_variable'),
      checkpoint(0x65c, 'print_nvram_variables'),
      checkpoint(0x610, 'asp_nand_set_writable'),
      data(RestoredDataType.BuildIdentityDict, { arguments: { IsRecoveryOS: false, Variant: context.behavior } }),
      ...(erase ? progress(11, 12) : []),
      data(RestoredDataType.ReceiptManifest),
      ...(context.sealedSystemVolume
        ? [data(RestoredDataType.SystemImageRootHash), data(RestoredDataType.SystemImageCanonicalMetadata)]
        : []),
      { kind: 'stage', stage: 'asr' },
      data(RestoredDataType.SystemImageData, { dataPort: ASR_DEFAULT_DATA_PORT }),
      ...progress(15, 16),
      data(RestoredDataType.PersonalizedBootObjectV3, { arguments: { ImageName: 'KernelCache' } }),
      ...progress(27),
      data(RestoredDataType.DeviceTree),
      ...progress(61),
      data(RestoredDataType.NORData),
      ...progress(18, 57),
      data(RestoredDataType.FirmwareUpdaterPreflight),
      ...coprocessorSteps(context),
      ...basebandSteps(context),
      ...(context.fdrSupport ? [data(RestoredDataType.FDRTrustData)] : []),
      ...(context.sealedSystemVolume ? progress(77) : []),
      ...progress(29, 44),
      { kind: 'stage', stage: 'final-reboot' },
    ],
  };
}

export function restoreScript(name: RestoreScriptName, context: ScriptContext): RestoreScript {
  return name === 'a12-ios17' ? a12Script(context) : a7Script(context);
}
