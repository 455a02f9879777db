/**
 * What the restored client asks the restore domain for while answering the phone's data requests
 * (docs/protocols/restored.md#data-requests). The client owns the wire (keys, side channels, chunking); the provider
 * owns the data (IPSW, ticket, personalisation, ASR, baseband, coprocessors). Optional methods are for hardware not
 * every phone has: when one is missing the client answers the request empty so the phone fails clearly.
 */
import type { Duplex } from 'node:stream';
import type { PlistDict, PlistValue } from '../plist/plist-value';

export type RestoreDataRequest = {
  dataType: string;
  /** The request's Arguments (bounded by the message schema); each method reads only what it needs. */
  arguments: PlistDict;
  /** Sent as AsyncDataRequestMsg (answered concurrently). */
  async: boolean;
  signal: AbortSignal;
};

/** NORData: LLB apart, then the other flash images in the order the provider lists them. */
export type NorImages = {
  llb: Uint8Array;
  firmware: { component: string; data: Uint8Array }[];
  restoreSep?: Uint8Array;
  sep?: Uint8Array;
  sepPatch?: Uint8Array;
};

/** URLAsset / StreamedImageDecryptionKey: an HTTP request the phone asks the host to make for it. */
export type HttpAssetRequest = {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body: Uint8Array | null;
};

export type HttpAssetResponse = { status: number; headers: Record<string, string>; body: Uint8Array };

/** Manifest components answered with the `<DataType>File` key (docs/protocols/restored.md#data-requests). */
export type SingleComponentName = 'KernelCache' | 'DeviceTree' | 'SystemVolume' | 'Ap,SystemVolumeCanonicalMetadata';

export interface RestoreDataProvider {
  /** RootTicket: the IM4M (or APTicket); null to answer without one. */
  rootTicket(request: RestoreDataRequest): Promise<Uint8Array | null>;
  /** RecoveryOSRootTicketData, for identities with a recovery OS. */
  recoveryOsRootTicket?(request: RestoreDataRequest): Promise<Uint8Array | null>;
  /** SystemImageData / RecoveryOSASRImage: run ASR over this fresh connection to the phone's data port. */
  sendSystemImage(connection: Duplex, request: RestoreDataRequest): Promise<void>;
  /** KernelCache, DeviceTree, SystemImageRootHash (SystemVolume), SystemImageCanonicalMetadata: personalised. */
  personalisedComponent(component: SingleComponentName, request: RestoreDataRequest): Promise<Uint8Array>;
  /** NORData: every flash image personalised. */
  norImages(request: RestoreDataRequest): Promise<NorImages>;
  /** Manifest components whose `Info.<flag>` is true (FUDData, PersonalizedData, EANData lists). */
  componentsWithFlag(flag: string, request: RestoreDataRequest): Promise<string[]>;
  /** One manifest component, personalised (FUDData, PersonalizedData, EANData images). */
  personalisedImage(component: string, request: RestoreDataRequest): Promise<Uint8Array>;
  /** BuildIdentityDict: the whole build identity (the recovery-OS one when `recoveryOs`). */
  buildIdentity(request: RestoreDataRequest, options: { recoveryOs: boolean }): Promise<PlistDict>;
  /** The Variant answered with BuildIdentityDict when the phone names none. */
  readonly defaultVariant: string;
  /** ReceiptManifest: the identity's Manifest dict. */
  receiptManifest(request: RestoreDataRequest): Promise<PlistDict>;
  /** PersonalizedBootObjectV3 (personalised) / SourceBootObjectV4 (as in the IPSW). */
  bootObject(name: string, personalised: boolean, request: RestoreDataRequest): Promise<Uint8Array>;
  /** BasebandData: the signed, stitched baseband firmware zip. */
  basebandData?(request: RestoreDataRequest): Promise<Uint8Array>;
  /** FDRTrustData: `{}` when absent (what every known host sends). */
  fdrTrustData?(request: RestoreDataRequest): Promise<PlistDict>;
  /** FirmwareUpdaterPreflight: `{}` when absent. */
  firmwareUpdaterPreflight?(request: RestoreDataRequest): Promise<PlistDict>;
  /** FirmwareUpdaterData: the value of `FirmwareResponseData` (a coprocessor's TSS answer). */
  firmwareUpdaterData?(request: RestoreDataRequest): Promise<PlistValue>;
  /** URLAsset / StreamedImageDecryptionKey; the provider applies the network policy. */
  httpAsset?(asset: HttpAssetRequest, request: RestoreDataRequest): Promise<HttpAssetResponse>;
  /** BootabilityBundle: an odc cpio archive sent raw to the data port. */
  bootabilityBundle?(request: RestoreDataRequest): Promise<Uint8Array>;
  /** BasebandUpdaterOutputData: the raw bytes the phone sent (a cpio of updater logs). */
  basebandUpdaterOutput?(bytes: Uint8Array): Promise<void>;
}
