/**
 * restored's vocabulary, shared by the host client and the virtual phone (docs/protocols/restored.md): the service
 * facts, request and message names, every DataType, the progress and status tables, the schemas each side applies to
 * what it receives, and the RestoreOptions a real host sends.
 */
import { z } from 'zod';
import { LOCKDOWN_SERVICE_PORT } from '../lockdown/lockdown-wire';
import type { PlistDict, PlistValue } from '../plist/plist-value';

/** docs/protocols/restored.md#finding-the-phone-in-restore-mode: same port as lockdownd, plain plists (no TLS). */
export const RESTORED_PORT = LOCKDOWN_SERVICE_PORT;
export const RESTORED_LABEL = 'lifeline';
/** docs/protocols/restored.md#progress-operations: below this version operations above 35 are one less. */
export const PROGRESS_SHIFT_BELOW_VERSION = 14;
export const PROGRESS_SHIFT_ABOVE_OPERATION = 35;
/** docs/protocols/restored.md#data-requests */
export const ASR_DEFAULT_DATA_PORT = 12345;
/** docs/protocols/restored.md#streamed-boot-objects: chunk size of FileData. */
export const FILE_DATA_CHUNK_BYTES = 8192;

/** docs/protocols/restored.md#limits: the biggest plist the host accepts from the phone (logs included). */
export const MAX_PHONE_MESSAGE_BYTES = 4 * 1024 * 1024;
/** The biggest plist the phone accepts from the host (a stitched baseband zip or a kernel cache fits). */
export const MAX_HOST_MESSAGE_BYTES = 128 * 1024 * 1024;
const MAX_NAME = 256;
const MAX_TEXT = 2 * 1024 * 1024;
const MAX_URL = 8 * 1024;

export const RestoredRequest = {
  QueryType: 'QueryType',
  QueryValue: 'QueryValue',
  StartRestore: 'StartRestore',
  Reboot: 'Reboot',
  Goodbye: 'Goodbye',
} as const;
export type RestoredRequestName = (typeof RestoredRequest)[keyof typeof RestoredRequest];

export const RestoredQueryKey = { HardwareInfo: 'HardwareInfo', SavedDebugInfo: 'SavedDebugInfo' } as const;

/** Messages restored sends after StartRestore (their `MsgType`). */
export const RestoredMsgType = {
  DataRequestMsg: 'DataRequestMsg',
  AsyncDataRequestMsg: 'AsyncDataRequestMsg',
  ProgressMsg: 'ProgressMsg',
  StatusMsg: 'StatusMsg',
  CheckpointMsg: 'CheckpointMsg',
  PreviousRestoreLogMsg: 'PreviousRestoreLogMsg',
  BBUpdateStatusMsg: 'BBUpdateStatusMsg',
  RestoredCrash: 'RestoredCrash',
  AsyncWait: 'AsyncWait',
  RestoreAttestation: 'RestoreAttestation',
  BasebandUpdaterOutputData: 'BasebandUpdaterOutputData',
} as const;
export type RestoredMsgTypeName = (typeof RestoredMsgType)[keyof typeof RestoredMsgType];

/** What the host sends back on the restored connection outside data replies. */
export const HostMsgType = { ReceivedFinalStatusMsg: 'ReceivedFinalStatusMsg' } as const;

/** Every DataType a host declares (SupportedDataTypes) or a phone may ask for. */
export const RestoredDataType = {
  AuthInstallCACert: 'AuthInstallCACert',
  BasebandBootData: 'BasebandBootData',
  BasebandData: 'BasebandData',
  BasebandStackData: 'BasebandStackData',
  BasebandUpdaterOutputData: 'BasebandUpdaterOutputData',
  BootabilityBundle: 'BootabilityBundle',
  BuildIdentityDict: 'BuildIdentityDict',
  BuildIdentityDictV2: 'BuildIdentityDictV2',
  Cryptex1LocalPolicy: 'Cryptex1LocalPolicy',
  DataType: 'DataType',
  DeviceTree: 'DeviceTree',
  DiagData: 'DiagData',
  EANData: 'EANData',
  FDRMemoryCommit: 'FDRMemoryCommit',
  FDRTrustData: 'FDRTrustData',
  FUDData: 'FUDData',
  FileData: 'FileData',
  FileDataDone: 'FileDataDone',
  FirmwareUpdaterData: 'FirmwareUpdaterData',
  FirmwareUpdaterDataV2: 'FirmwareUpdaterDataV2',
  FirmwareUpdaterDataV3: 'FirmwareUpdaterDataV3',
  FirmwareUpdaterPreflight: 'FirmwareUpdaterPreflight',
  GrapeFWData: 'GrapeFWData',
  HPMFWData: 'HPMFWData',
  HostSystemTime: 'HostSystemTime',
  KernelCache: 'KernelCache',
  MessageUseStreamedImageFile: 'MessageUseStreamedImageFile',
  NORData: 'NORData',
  NitrogenFWData: 'NitrogenFWData',
  OpalFWData: 'OpalFWData',
  OverlayRootDataCount: 'OverlayRootDataCount',
  OverlayRootDataForKey: 'OverlayRootDataForKey',
  OverlayRootDataForKeyIndex: 'OverlayRootDataForKeyIndex',
  PeppyFWData: 'PeppyFWData',
  PersonalizedBootObjectV3: 'PersonalizedBootObjectV3',
  PersonalizedData: 'PersonalizedData',
  ProvisioningData: 'ProvisioningData',
  RamdiskFWData: 'RamdiskFWData',
  ReceiptManifest: 'ReceiptManifest',
  RecoveryOSASRImage: 'RecoveryOSASRImage',
  RecoveryOSAppleLogo: 'RecoveryOSAppleLogo',
  RecoveryOSDeviceTree: 'RecoveryOSDeviceTree',
  RecoveryOSFileAssetImage: 'RecoveryOSFileAssetImage',
  RecoveryOSIBEC: 'RecoveryOSIBEC',
  RecoveryOSIBootFWFilesImages: 'RecoveryOSIBootFWFilesImages',
  RecoveryOSImage: 'RecoveryOSImage',
  RecoveryOSKernelCache: 'RecoveryOSKernelCache',
  RecoveryOSLocalPolicy: 'RecoveryOSLocalPolicy',
  RecoveryOSOverlayRootDataCount: 'RecoveryOSOverlayRootDataCount',
  RecoveryOSRootTicketData: 'RecoveryOSRootTicketData',
  RecoveryOSStaticTrustCache: 'RecoveryOSStaticTrustCache',
  RecoveryOSVersionData: 'RecoveryOSVersionData',
  RestoreLocalPolicy: 'RestoreLocalPolicy',
  RootData: 'RootData',
  RootTicket: 'RootTicket',
  S3EOverride: 'S3EOverride',
  SourceBootObjectV3: 'SourceBootObjectV3',
  SourceBootObjectV4: 'SourceBootObjectV4',
  SsoServiceTicket: 'SsoServiceTicket',
  StockholmPostflight: 'StockholmPostflight',
  StreamedImageDecryptionKey: 'StreamedImageDecryptionKey',
  SystemImageCanonicalMetadata: 'SystemImageCanonicalMetadata',
  SystemImageData: 'SystemImageData',
  SystemImageRootHash: 'SystemImageRootHash',
  URLAsset: 'URLAsset',
  USBCFWData: 'USBCFWData',
  USBCOverride: 'USBCOverride',
  UpdateVolumeOverlayRootDataCount: 'UpdateVolumeOverlayRootDataCount',
} as const;
export type RestoredDataTypeName = (typeof RestoredDataType)[keyof typeof RestoredDataType];

/** docs/protocols/restored.md#data-requests-by-generation: what an A7–A11 phone asks for. */
export const A7_TO_A11_DATA_TYPES: readonly RestoredDataTypeName[] = [
  'RootTicket',
  'SystemImageData',
  'KernelCache',
  'DeviceTree',
  'NORData',
  'BasebandData',
  'FDRTrustData',
  'FUDData',
];

/** docs/protocols/restored.md#data-requests-by-generation: what an A12-or-later phone may ask for on top. */
export const A12_PLUS_DATA_TYPES: readonly RestoredDataTypeName[] = [
  ...A7_TO_A11_DATA_TYPES,
  'URLAsset',
  'StreamedImageDecryptionKey',
  'PersonalizedBootObjectV3',
  'SourceBootObjectV4',
  'SystemImageRootHash',
  'SystemImageCanonicalMetadata',
  'FirmwareUpdaterPreflight',
  'FirmwareUpdaterData',
  'PersonalizedData',
  'EANData',
  'ReceiptManifest',
  'BuildIdentityDict',
  'BootabilityBundle',
  'HostSystemTime',
  'BasebandUpdaterOutputData',
  'RecoveryOSRootTicketData',
  'RecoveryOSASRImage',
  'RecoveryOSLocalPolicy',
  'RecoveryOSFileAssetImage',
  'RecoveryOSIBootFWFilesImages',
  'RecoveryOSImage',
  'RecoveryOSVersionData',
];

/**
 * The SupportedDataTypes dict a current host sends (docs/protocols/restored.md#restore-options). `true` marks the
 * types the host announces it can serve through the newer generic paths; the classic ones are `false` yet still asked for.
 */
export const SUPPORTED_DATA_TYPES: Readonly<Record<string, boolean>> = {
  AuthInstallCACert: true,
  BasebandBootData: false,
  BasebandData: false,
  BasebandStackData: false,
  BasebandUpdaterOutputData: false,
  BootabilityBundle: false,
  BuildIdentityDict: false,
  BuildIdentityDictV2: false,
  Cryptex1LocalPolicy: true,
  DataType: false,
  DiagData: false,
  EANData: false,
  FDRMemoryCommit: false,
  FDRTrustData: false,
  FUDData: false,
  FileData: false,
  FileDataDone: false,
  FirmwareUpdaterData: false,
  FirmwareUpdaterDataV2: false,
  FirmwareUpdaterDataV3: true,
  FirmwareUpdaterPreflight: true,
  GrapeFWData: false,
  HPMFWData: false,
  HostSystemTime: true,
  KernelCache: false,
  MessageUseStreamedImageFile: true,
  NORData: false,
  NitrogenFWData: true,
  OpalFWData: false,
  OverlayRootDataCount: false,
  OverlayRootDataForKey: true,
  OverlayRootDataForKeyIndex: true,
  PeppyFWData: true,
  PersonalizedBootObjectV3: false,
  PersonalizedData: true,
  ProvisioningData: false,
  RamdiskFWData: true,
  ReceiptManifest: true,
  RecoveryOSASRImage: true,
  RecoveryOSAppleLogo: true,
  RecoveryOSDeviceTree: true,
  RecoveryOSFileAssetImage: true,
  RecoveryOSIBEC: true,
  RecoveryOSIBootFWFilesImages: true,
  RecoveryOSImage: true,
  RecoveryOSKernelCache: true,
  RecoveryOSLocalPolicy: true,
  RecoveryOSOverlayRootDataCount: false,
  RecoveryOSRootTicketData: true,
  RecoveryOSStaticTrustCache: true,
  RecoveryOSVersionData: true,
  RestoreLocalPolicy: true,
  RootData: false,
  RootTicket: false,
  S3EOverride: false,
  SourceBootObjectV3: false,
  SourceBootObjectV4: false,
  SsoServiceTicket: false,
  StockholmPostflight: false,
  SystemImageCanonicalMetadata: false,
  SystemImageData: false,
  SystemImageRootHash: false,
  URLAsset: true,
  USBCFWData: false,
  USBCOverride: false,
  UpdateVolumeOverlayRootDataCount: true,
};

export const SUPPORTED_MESSAGE_TYPES: Readonly<Record<string, boolean>> = {
  AsyncDataRequestMsg: true,
  AsyncWait: true,
  BBUpdateStatusMsg: false,
  CheckpointMsg: true,
  CrashLog: true,
  DataRequestMsg: false,
  FDRSubmit: true,
  MsgType: false,
  PreviousRestoreLogMsg: false,
  ProgressMsg: false,
  ProvisioningAck: false,
  ProvisioningInfo: false,
  ProvisioningStatusMsg: false,
  ReceivedFinalStatusMsg: false,
  RestoreAttestation: true,
  RestoredCrash: true,
  StatusMsg: false,
};

/** Which DataTypes the phone may send as AsyncDataRequestMsg (iOS 18+). */
export const SUPPORTED_ASYNC_DATA_TYPES: Readonly<Record<string, boolean>> = {
  BasebandData: false,
  RecoveryOSASRImage: false,
  StreamedImageDecryptionKey: false,
  SystemImageData: false,
  URLAsset: true,
};

/** The coarse stages Lifeline shows; each ProgressMsg operation belongs to one. */
export type RestoreStage =
  | 'preparing'
  | 'partitioning'
  | 'restoring-system'
  | 'verifying-system'
  | 'flashing-firmware'
  | 'updating-baseband'
  | 'updating-coprocessors'
  | 'finishing';

/** Ordered as a restore walks them, for a never-backwards overall fraction. */
export const RESTORE_STAGES: readonly RestoreStage[] = [
  'preparing',
  'partitioning',
  'restoring-system',
  'verifying-system',
  'flashing-firmware',
  'updating-baseband',
  'updating-coprocessors',
  'finishing',
];

/** docs/protocols/restored.md#progress-operations: operation (after the version shift) → what the phone does. */
export const PROGRESS_OPERATIONS: Readonly<Record<number, { name: string; stage: RestoreStage }>> = {
  11: { name: 'creating partition map', stage: 'partitioning' },
  12: { name: 'creating filesystem', stage: 'partitioning' },
  13: { name: 'restoring image', stage: 'restoring-system' },
  14: { name: 'verifying restore', stage: 'verifying-system' },
  15: { name: 'checking filesystems', stage: 'verifying-system' },
  16: { name: 'mounting filesystems', stage: 'verifying-system' },
  17: { name: 'fixing up /var', stage: 'verifying-system' },
  18: { name: 'flashing firmware', stage: 'flashing-firmware' },
  19: { name: 'updating baseband', stage: 'updating-baseband' },
  20: { name: 'setting boot stage', stage: 'finishing' },
  21: { name: 'rebooting device', stage: 'finishing' },
  22: { name: 'shutting down device', stage: 'finishing' },
  23: { name: 'turning on accessory power', stage: 'preparing' },
  24: { name: 'clearing persistent boot-args', stage: 'preparing' },
  25: { name: 'modifying persistent boot-args', stage: 'preparing' },
  26: { name: 'installing root', stage: 'restoring-system' },
  27: { name: 'installing kernelcache', stage: 'flashing-firmware' },
  28: { name: 'waiting for NAND', stage: 'preparing' },
  29: { name: 'unmounting filesystems', stage: 'finishing' },
  30: { name: 'setting date and time', stage: 'preparing' },
  31: { name: 'executing iBEC to bootstrap update', stage: 'preparing' },
  32: { name: 'finalizing NAND epoch update', stage: 'preparing' },
  33: { name: 'checking for inappropriate bootable partitions', stage: 'partitioning' },
  34: { name: 'creating factory restore marker', stage: 'finishing' },
  35: { name: 'loading firmware data to flash', stage: 'flashing-firmware' },
  36: { name: 'requesting FUD data', stage: 'updating-coprocessors' },
  37: { name: 'removing activation record', stage: 'preparing' },
  38: { name: 'checking battery voltage', stage: 'preparing' },
  39: { name: 'waiting for battery to charge', stage: 'preparing' },
  40: { name: 'closing modem tickets', stage: 'updating-baseband' },
  41: { name: 'migrating data', stage: 'restoring-system' },
  42: { name: 'wiping storage device', stage: 'partitioning' },
  43: { name: 'sending Apple logo to device', stage: 'preparing' },
  44: { name: 'checking for uncollected logs', stage: 'preparing' },
  46: { name: 'clearing NVRAM', stage: 'finishing' },
  47: { name: 'updating gas gauge software', stage: 'updating-coprocessors' },
  48: { name: 'preparing for baseband update', stage: 'updating-baseband' },
  49: { name: 'booting the baseband', stage: 'updating-baseband' },
  50: { name: 'creating system key bag', stage: 'finishing' },
  51: { name: 'updating IR MCU firmware', stage: 'updating-coprocessors' },
  52: { name: 'resizing system partition', stage: 'partitioning' },
  53: { name: 'collecting updater output', stage: 'updating-baseband' },
  54: { name: 'pairing Stockholm', stage: 'updating-coprocessors' },
  55: { name: 'updating Stockholm', stage: 'updating-coprocessors' },
  56: { name: 'updating SWDHID', stage: 'updating-coprocessors' },
  57: { name: 'certifying SEP', stage: 'flashing-firmware' },
  58: { name: 'updating NAND firmware', stage: 'preparing' },
  59: { name: 'updating SE firmware', stage: 'updating-coprocessors' },
  60: { name: 'updating Savage', stage: 'updating-coprocessors' },
  61: { name: 'installing DeviceTree', stage: 'flashing-firmware' },
  62: { name: 'certifying Savage', stage: 'updating-coprocessors' },
  63: { name: 'submitting provinfo', stage: 'updating-coprocessors' },
  64: { name: 'certifying Yonkers', stage: 'updating-coprocessors' },
  65: { name: 'updating Rose', stage: 'updating-coprocessors' },
  66: { name: 'updating Veridian', stage: 'updating-coprocessors' },
  67: { name: 'creating protected volume', stage: 'partitioning' },
  68: { name: 'resizing main filesystem partition', stage: 'partitioning' },
  69: { name: 'creating recovery OS volume', stage: 'partitioning' },
  70: { name: 'installing recovery OS files', stage: 'restoring-system' },
  71: { name: 'installing recovery OS image', stage: 'restoring-system' },
  74: { name: 'requesting EAN data', stage: 'updating-coprocessors' },
  77: { name: 'sealing system volume', stage: 'verifying-system' },
  81: { name: 'updating AppleTCON', stage: 'updating-coprocessors' },
};

/** The operation in today's numbering: old ramdisks number everything above 35 one lower. */
export function adaptProgressOperation(operation: number, protocolVersion: number): number {
  return protocolVersion < PROGRESS_SHIFT_BELOW_VERSION && operation > PROGRESS_SHIFT_ABOVE_OPERATION ? operation + 1 : operation;
}

/** A ProgressMsg percentage, or null when the phone sends an out-of-range value (indeterminate). */
export function progressPercent(progress: number): number | null {
  return progress > 0 && progress <= 100 ? progress : null;
}

export const RESTORED_STATUS_SUCCESS = 0;

/** docs/protocols/restored.md#status-codes: StatusMsg `Status` → meaning (and the error number people are shown). */
export const RESTORED_STATUS: Readonly<Record<string, { meaning: string; kind: RestoredFailureKind }>> = {
  '-1': { meaning: 'verification error', kind: 'verification' },
  '6': { meaning: 'disk failure', kind: 'storage' },
  '14': { meaning: 'restore failed', kind: 'generic' },
  '27': { meaning: 'failed to mount filesystems', kind: 'storage' },
  '50': { meaning: 'failed to load SEP firmware', kind: 'sep' },
  '51': { meaning: 'failed to load SEP firmware', kind: 'sep' },
  '53': { meaning: 'failed to recover FDR data', kind: 'fdr' },
  '1015': { meaning: 'baseband update failed', kind: 'baseband' },
};

export type RestoredFailureKind = 'verification' | 'storage' | 'generic' | 'sep' | 'fdr' | 'baseband' | 'unknown';

export function describeRestoredStatus(status: number | bigint): { meaning: string; kind: RestoredFailureKind } {
  return RESTORED_STATUS[String(status)] ?? { meaning: `unknown status ${String(status)}`, kind: 'unknown' };
}

// ----- schemas: what each side accepts -----

const plistData = z.instanceof(Uint8Array);
const plistInteger = z.union([z.number().int(), z.bigint()]);
const name = z.string().min(1).max(MAX_NAME);
const text = z.string().max(MAX_TEXT);
const port = z.number().int().min(1).max(65535);
/** Arguments are free-form per DataType; each handler parses the keys it needs. */
const argumentsDict = z.record(z.string().max(MAX_NAME), z.unknown());

export const QueryTypeReplySchema = z.looseObject({
  Type: z.string().max(MAX_NAME),
  RestoreProtocolVersion: z.number().int().min(0).max(1000).optional(),
  HardwareModel: z.string().max(MAX_NAME).optional(),
  SerialNumber: z.string().max(MAX_NAME).optional(),
  Result: z.string().max(MAX_NAME).optional(),
});
export type QueryTypeReply = z.infer<typeof QueryTypeReplySchema>;

export const HardwareInfoSchema = z.looseObject({
  BoardID: z.number().int().nonnegative().optional(),
  ChipID: z.number().int().nonnegative().optional(),
  UniqueChipID: plistInteger.optional(),
  ProductionMode: z.boolean().optional(),
  SupportsImage4: z.boolean().optional(),
  HardwareModel: z.string().max(MAX_NAME).optional(),
  ProductType: z.string().max(MAX_NAME).optional(),
});
export type HardwareInfo = z.infer<typeof HardwareInfoSchema>;

export const SavedDebugInfoSchema = z.looseObject({
  PreviousExitStatus: text.optional(),
  USBLog: text.optional(),
  PanicLog: text.optional(),
});
export type SavedDebugInfo = z.infer<typeof SavedDebugInfoSchema>;

/** A request the phone receives from the host (sim side). */
export const RestoredRequestSchema = z.looseObject({
  Request: name,
  Label: z.string().max(MAX_NAME).optional(),
  QueryKey: z.string().max(MAX_NAME).optional(),
  RestoreProtocolVersion: z.number().int().min(0).max(1000).optional(),
  RestoreOptions: z.record(z.string().max(MAX_NAME), z.unknown()).optional(),
});

export const DataRequestMsgSchema = z.looseObject({
  MsgType: z.enum([RestoredMsgType.DataRequestMsg, RestoredMsgType.AsyncDataRequestMsg]),
  DataType: name,
  DataPort: port.optional(),
  Arguments: argumentsDict.optional(),
});
export type DataRequestMsg = z.infer<typeof DataRequestMsgSchema>;

export const ProgressMsgSchema = z.looseObject({
  MsgType: z.literal(RestoredMsgType.ProgressMsg),
  Operation: z.number().int().min(0).max(0xffff),
  Progress: plistInteger,
});
export type ProgressMsg = z.infer<typeof ProgressMsgSchema>;

export const StatusMsgSchema = z.looseObject({
  MsgType: z.literal(RestoredMsgType.StatusMsg),
  Status: plistInteger,
  AMRError: plistInteger.optional(),
  Log: text.optional(),
});
export type StatusMsg = z.infer<typeof StatusMsgSchema>;

export const CheckpointMsgSchema = z.looseObject({
  MsgType: z.literal(RestoredMsgType.CheckpointMsg),
  CHECKPOINT_ID: plistInteger,
  CHECKPOINT_NAME: z.string().max(MAX_NAME).optional(),
  CHECKPOINT_RESULT: plistInteger.optional(),
  CHECKPOINT_COMPLETE: z.boolean().optional(),
  CHECKPOINT_WARNING: z.string().max(MAX_URL).optional(),
  CHECKPOINT_ERROR: z.string().max(MAX_URL).optional(),
});
export type CheckpointMsg = z.infer<typeof CheckpointMsgSchema>;

export const PreviousRestoreLogMsgSchema = z.looseObject({
  MsgType: z.literal(RestoredMsgType.PreviousRestoreLogMsg),
  PreviousRestoreLog: text,
});

export const RestoredCrashSchema = z.looseObject({
  MsgType: z.literal(RestoredMsgType.RestoredCrash),
  RestoredBacktrace: z.union([text, z.array(z.string().max(MAX_URL)).max(4096)]).optional(),
});

export const BBUpdateStatusMsgSchema = z.looseObject({
  MsgType: z.literal(RestoredMsgType.BBUpdateStatusMsg),
  Accepted: z.boolean().optional(),
  Output: z.record(z.string().max(MAX_NAME), z.unknown()).optional(),
});

export const RestoreAttestationSchema = z.looseObject({ MsgType: z.literal(RestoredMsgType.RestoreAttestation) });
export const AsyncWaitSchema = z.looseObject({ MsgType: z.literal(RestoredMsgType.AsyncWait) });
export const BasebandUpdaterOutputDataSchema = z.looseObject({
  MsgType: z.literal(RestoredMsgType.BasebandUpdaterOutputData),
  DataPort: port,
});

/** Any message from the phone: a dict with a string MsgType; the specific schema is applied after dispatch. */
export const RestoredMessageEnvelopeSchema = z.looseObject({ MsgType: name });

// ----- host replies (the phone parses these) -----

export const ReceivedFinalStatusMsgSchema = z.looseObject({ MsgType: z.literal(HostMsgType.ReceivedFinalStatusMsg) });
export const RestoreAttestationReplySchema = z.looseObject({ RestoreShouldAttest: z.boolean() });
/** RootTicket: the key is absent when the host has no ticket (the phone then fails clearly). */
export const RootTicketReplySchema = z.looseObject({ RootTicketData: plistData.optional() });
export const KernelCacheReplySchema = z.looseObject({ KernelCacheFile: plistData });
export const DeviceTreeReplySchema = z.looseObject({ DeviceTreeFile: plistData });
export const NorDataReplySchema = z.looseObject({
  LlbImageData: plistData,
  NorImageData: z.union([z.array(plistData).max(256), z.record(z.string().max(MAX_NAME), plistData)]),
  RestoreSEPImageData: plistData.optional(),
  SEPImageData: plistData.optional(),
  SEPPatchImageData: plistData.optional(),
});
export const BasebandDataReplySchema = z.looseObject({ BasebandData: plistData });
export const BuildIdentityDictReplySchema = z.looseObject({
  BuildIdentityDict: z.record(z.string().max(MAX_NAME), z.unknown()),
  Variant: z.string().max(MAX_NAME),
});
export const ReceiptManifestReplySchema = z.looseObject({ ReceiptManifest: z.record(z.string().max(MAX_NAME), z.unknown()) });
export const FileDataChunkSchema = z.union([
  z.looseObject({ FileData: plistData.refine((data) => data.length <= FILE_DATA_CHUNK_BYTES) }),
  z.looseObject({ FileDataDone: z.literal(true) }),
]);
export const HttpResponseReplySchema = z.looseObject({
  ResponseBody: plistData,
  ResponseBodyDone: z.boolean(),
  ResponseHeaders: z.record(z.string().max(MAX_NAME), z.string().max(MAX_URL)),
  ResponseStatus: z.number().int().min(0).max(999),
});

// ----- message builders (both sides) -----

export function encodeQueryType(label = RESTORED_LABEL): PlistDict {
  return { Request: RestoredRequest.QueryType, Label: label };
}

export function encodeQueryValue(key: string, label = RESTORED_LABEL): PlistDict {
  return { Request: RestoredRequest.QueryValue, QueryKey: key, Label: label };
}

export function encodeStartRestore(options: PlistDict, protocolVersion: number, label = RESTORED_LABEL): PlistDict {
  return { Request: RestoredRequest.StartRestore, Label: label, RestoreOptions: options, RestoreProtocolVersion: protocolVersion };
}

export function encodeGoodbye(label = RESTORED_LABEL): PlistDict {
  return { Request: RestoredRequest.Goodbye, Label: label };
}

export function encodeReboot(label = RESTORED_LABEL): PlistDict {
  return { Request: RestoredRequest.Reboot, Label: label };
}

export function encodeReceivedFinalStatus(): PlistDict {
  return { MsgType: HostMsgType.ReceivedFinalStatusMsg };
}

export function encodeAttestationDeclined(): PlistDict {
  return { RestoreShouldAttest: false };
}

/** docs/protocols/restored.md#requests: the QueryValue answer carries the value under its own key. */
export function encodeQueryValueReply(key: string, value: PlistValue): PlistDict {
  return { [key]: value };
}

// ----- RestoreOptions -----

export type RestoreBehavior = 'erase' | 'update';

/** The build identity's Info.Variant for each behaviour (docs/protocols/firmware.md#identity-selection). */
export const RESTORE_VARIANT: Readonly<Record<RestoreBehavior, string>> = {
  erase: 'Erase Install (IPSW)',
  update: 'Upgrade Install (IPSW)',
};

export const DEFAULT_SYSTEM_PARTITION_PADDING: Readonly<Record<string, number>> = {
  '8': 80,
  '16': 160,
  '32': 320,
  '64': 640,
  '128': 1280,
  '256': 1280,
  '512': 1280,
  '768': 1280,
  '1024': 1280,
};

export type RestoreOptionsInput = {
  uuid: string;
  /** The boot-args the host set in recovery, if any. */
  restoreBootArgs?: string;
  /** The identity's Info.SystemPartitionPadding, else the default table. */
  systemPartitionPadding?: PlistDict;
  /** Manifest.SEP.Info.RequiredCapacity when present. */
  tz0RequiredCapacity?: string;
  /** Lockdown FirmwarePreflightInfo, only when the restore began in normal mode. */
  firmwarePreflightInfo?: PlistDict;
};

/**
 * docs/protocols/restored.md#restore-options. Erase and update send the same keys: what keeps or wipes the data is
 * the build identity the host personalised (RestoreBehavior Erase/Update) and the Variant it answers for
 * BuildIdentityDict; the phone reads the behaviour from the signed manifest, not from an option.
 */
function baseRestoreOptions(input: RestoreOptionsInput): PlistDict {
  const options: PlistDict = { AutoBootDelay: 0 };
  if (input.firmwarePreflightInfo) {
    const { FusingStatus: _fusing, PkHash: _pkHash, ...updaterState } = input.firmwarePreflightInfo;
    options.BBUpdaterState = updaterState;
    const nonce = input.firmwarePreflightInfo.Nonce;
    if (nonce !== undefined) options.BasebandNonce = nonce;
  }
  Object.assign(options, {
    SupportedDataTypes: { ...SUPPORTED_DATA_TYPES },
    SupportedMessageTypes: { ...SUPPORTED_MESSAGE_TYPES },
    BootImageType: 'User',
    DFUFileType: 'RELEASE',
    DataImage: false,
    FirmwareDirectory: '.',
    FlashNOR: true,
    KernelCacheType: 'Release',
    NORImageType: 'production',
    RestoreBundlePath: '/tmp/Per2.tmp',
    SystemImageType: 'User',
    UpdateBaseband: true,
    InstallDiags: false,
    HostHasFixFor99053849: true,
    SystemImageFormat: 'AEAWrappedDiskImage',
    WaitForDeviceConnectionToFinishStateMachine: false,
  });
  if (input.tz0RequiredCapacity !== undefined) options.TZ0RequiredCapacity = input.tz0RequiredCapacity;
  Object.assign(options, {
    PersonalizedDuringPreflight: true,
    SupportedAsyncDataTypes: { ...SUPPORTED_ASYNC_DATA_TYPES },
    RootToInstall: false,
    UUID: input.uuid.toUpperCase(),
    CreateFilesystemPartitions: true,
    SystemImage: true,
  });
  if (input.restoreBootArgs !== undefined) options.RestoreBootArgs = input.restoreBootArgs;
  options.SystemPartitionPadding = input.systemPartitionPadding ?? { ...DEFAULT_SYSTEM_PARTITION_PADDING };
  return options;
}

export function buildEraseRestoreOptions(input: RestoreOptionsInput): PlistDict {
  return baseRestoreOptions(input);
}

export function buildUpdateRestoreOptions(input: RestoreOptionsInput): PlistDict {
  return baseRestoreOptions(input);
}

export function buildRestoreOptions(behavior: RestoreBehavior, input: RestoreOptionsInput): PlistDict {
  return behavior === 'erase' ? buildEraseRestoreOptions(input) : buildUpdateRestoreOptions(input);
}

export const RestoreOptionsSchema = z.looseObject({
  AutoBootDelay: z.number().int().min(0),
  SupportedDataTypes: z.record(z.string().max(MAX_NAME), z.boolean()),
  SupportedMessageTypes: z.record(z.string().max(MAX_NAME), z.boolean()),
  FlashNOR: z.boolean(),
  UUID: z.string().max(MAX_NAME),
  CreateFilesystemPartitions: z.boolean().optional(),
  SystemImage: z.boolean().optional(),
  UpdateBaseband: z.boolean().optional(),
  RestoreBootArgs: z.string().max(MAX_URL).optional(),
});
