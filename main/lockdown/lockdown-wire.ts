import { z } from 'zod';
import type { PlistDict } from '../plist/plist-value';

export const LOCKDOWN_SERVICE_PORT = 62078;
export const LOCKDOWN_TYPE = 'com.apple.mobile.lockdown';
export const RESTORED_TYPE = 'com.apple.mobile.restored';
export const LOCKDOWN_PROTOCOL_VERSION = '2';

/** docs/protocols/lockdown.md#requests: GetValue domains either side names. */
export const LockdownDomain = {
  Backup: 'com.apple.mobile.backup',
  Battery: 'com.apple.mobile.battery',
  DiskUsage: 'com.apple.disk_usage',
  /** docs/protocols/lockdown.md#activation-lock-values: `IsAssociated`, Find My is on. */
  FindMyIPhone: 'com.apple.fmip',
  International: 'com.apple.international',
  ITunes: 'com.apple.iTunes',
  MobileITunes: 'com.apple.mobile.iTunes',
  PurpleBuddy: 'com.apple.purplebuddy',
  WirelessLockdown: 'com.apple.mobile.wireless_lockdown',
} as const;

// docs/protocols/lockdown.md#error-strings: exact strings of the reply key `Error`, with libimobiledevice 1.3.0's code and text.
export const LockdownError = {
  InvalidResponse: 'InvalidResponse',
  MissingKey: 'MissingKey',
  MissingValue: 'MissingValue',
  GetProhibited: 'GetProhibited',
  SetProhibited: 'SetProhibited',
  RemoveProhibited: 'RemoveProhibited',
  ImmutableValue: 'ImmutableValue',
  PasswordProtected: 'PasswordProtected',
  UserDeniedPairing: 'UserDeniedPairing',
  PairingDialogResponsePending: 'PairingDialogResponsePending',
  MissingHostID: 'MissingHostID',
  InvalidHostID: 'InvalidHostID',
  SessionActive: 'SessionActive',
  SessionInactive: 'SessionInactive',
  MissingSessionID: 'MissingSessionID',
  InvalidSessionID: 'InvalidSessionID',
  MissingService: 'MissingService',
  InvalidService: 'InvalidService',
  ServiceLimit: 'ServiceLimit',
  MissingPairRecord: 'MissingPairRecord',
  SavePairRecordFailed: 'SavePairRecordFailed',
  InvalidPairRecord: 'InvalidPairRecord',
  InvalidActivationRecord: 'InvalidActivationRecord',
  MissingActivationRecord: 'MissingActivationRecord',
  ServiceProhibited: 'ServiceProhibited',
  EscrowLocked: 'EscrowLocked',
  PairingProhibitedOverThisConnection: 'PairingProhibitedOverThisConnection',
  FMiPProtected: 'FMiPProtected',
  MCProtected: 'MCProtected',
  MCChallengeRequired: 'MCChallengeRequired',
  /** Not in libimobiledevice's table; real devices send it for a malformed request. */
  InvalidRequest: 'InvalidRequest',
  InvalidConnection: 'InvalidConnection',
} as const;

export type LockdownErrorName = (typeof LockdownError)[keyof typeof LockdownError];

/** libimobiledevice's numeric code and message for each error string (what its tools print). */
export const LOCKDOWN_ERROR_INFO: Readonly<Record<string, { code: number; text: string }>> = {
  InvalidResponse: { code: -10, text: 'Invalid response' },
  MissingKey: { code: -11, text: 'Missing key' },
  MissingValue: { code: -12, text: 'Missing value' },
  GetProhibited: { code: -13, text: 'Get value prohibited' },
  SetProhibited: { code: -14, text: 'Set value prohibited' },
  RemoveProhibited: { code: -15, text: 'Remove value prohibited' },
  ImmutableValue: { code: -16, text: 'Immutable value' },
  PasswordProtected: { code: -17, text: 'Password protected' },
  UserDeniedPairing: { code: -18, text: 'User denied pairing' },
  PairingDialogResponsePending: { code: -19, text: 'Pairing dialog response pending' },
  MissingHostID: { code: -20, text: 'Missing HostID' },
  InvalidHostID: { code: -21, text: 'Invalid HostID' },
  SessionActive: { code: -22, text: 'Session active' },
  SessionInactive: { code: -23, text: 'Session inactive' },
  MissingSessionID: { code: -24, text: 'Missing session ID' },
  InvalidSessionID: { code: -25, text: 'Invalid session ID' },
  MissingService: { code: -26, text: 'Missing service' },
  InvalidService: { code: -27, text: 'Invalid service' },
  ServiceLimit: { code: -28, text: 'Service limit reached' },
  MissingPairRecord: { code: -29, text: 'Missing pair record' },
  SavePairRecordFailed: { code: -30, text: 'Saving pair record failed' },
  InvalidPairRecord: { code: -31, text: 'Invalid pair record' },
  InvalidActivationRecord: { code: -32, text: 'Invalid activation record' },
  MissingActivationRecord: { code: -33, text: 'Missing activation record' },
  ServiceProhibited: { code: -34, text: 'Service prohibited' },
  EscrowLocked: { code: -35, text: 'Escrow lockded' },
  PairingProhibitedOverThisConnection: { code: -36, text: 'Pairing prohibited over this connection' },
  FMiPProtected: { code: -37, text: 'Find My iPhone/iPod/iPad protected' },
  MCProtected: { code: -38, text: 'MC protected' },
  MCChallengeRequired: { code: -39, text: 'MC challenge required' },
};

export const LockdownRequestType = {
  QueryType: 'QueryType',
  GetValue: 'GetValue',
  SetValue: 'SetValue',
  RemoveValue: 'RemoveValue',
  Pair: 'Pair',
  ValidatePair: 'ValidatePair',
  Unpair: 'Unpair',
  StartSession: 'StartSession',
  StopSession: 'StopSession',
  StartService: 'StartService',
  EnterRecovery: 'EnterRecovery',
  Goodbye: 'Goodbye',
  Activate: 'Activate',
  Deactivate: 'Deactivate',
} as const;

const plistData = z.instanceof(Uint8Array);

/** Any lockdown request: a dict with a string `Request`; other keys vary. */
export const LockdownRequestSchema = z.looseObject({
  Request: z.string().min(1).max(256),
  Label: z.string().max(1024).optional(),
  ProtocolVersion: z.string().max(16).optional(),
});

export const GetValueRequestSchema = z.looseObject({
  Domain: z.string().max(1024).optional(),
  Key: z.string().max(1024).optional(),
});

export const StartSessionRequestSchema = z.looseObject({
  HostID: z.string().min(1).max(256),
  SystemBUID: z.string().max(256).optional(),
});

export const StartServiceRequestSchema = z.looseObject({
  Service: z.string().min(1).max(1024),
  EscrowBag: plistData.optional(),
});

/** The pair record as the host sends it inside Pair/ValidatePair/Unpair (private keys removed, docs/protocols/lockdown.md#pair-records). */
export const PairRequestRecordSchema = z.looseObject({
  HostID: z.string().min(1).max(256),
  SystemBUID: z.string().max(256).optional(),
  DeviceCertificate: plistData.optional(),
  HostCertificate: plistData.optional(),
  RootCertificate: plistData.optional(),
});

export const PairRequestSchema = z.looseObject({
  PairRecord: PairRequestRecordSchema,
  PairingOptions: z.looseObject({}).optional(),
  HostName: z.string().max(1024).optional(),
});

export type PairRequestRecord = z.infer<typeof PairRequestRecordSchema>;

export const StartSessionReplySchema = z.looseObject({
  SessionID: z.string().min(1),
  EnableSessionSSL: z.boolean().optional(),
});

export const StartServiceReplySchema = z.looseObject({
  Port: z.number().int().min(1).max(65535),
  Service: z.string().optional(),
  EnableServiceSSL: z.boolean().optional(),
});

export function lockdownReply(request: string, fields: PlistDict = {}): PlistDict {
  return { Request: request, ...fields };
}

export function lockdownErrorReply(request: string, error: LockdownErrorName, fields: PlistDict = {}): PlistDict {
  return { Request: request, Error: error, ...fields };
}
