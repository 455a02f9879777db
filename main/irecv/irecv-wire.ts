/**
 * The USB requests of a phone in DFU or recovery mode (docs/protocols/irecv.md#control-requests): DFU class requests
 * and states, iBoot's vendor requests, recovery endpoints, string indices and transfer sizes. The irecv client and the
 * virtual phone's USB side both take them from here.
 */

/** USB DFU 1.1 class requests (bmRequestType 0x21 OUT / 0xA1 IN). */
export const DfuClassRequest = {
  Detach: 0,
  Dnload: 1,
  Upload: 2,
  GetStatus: 3,
  ClrStatus: 4,
  GetState: 5,
  Abort: 6,
} as const;

/** USB DFU 1.1 bState values. */
export const DfuState = {
  AppIdle: 0,
  AppDetach: 1,
  Idle: 2,
  DnloadSync: 3,
  DnloadBusy: 4,
  DnloadIdle: 5,
  ManifestSync: 6,
  Manifest: 7,
  ManifestWaitReset: 8,
  UploadIdle: 9,
  Error: 10,
} as const;

/** USB DFU 1.1 bStatus values the phone reports. */
export const DfuStatus = { Ok: 0x00, ErrUnknown: 0x0e } as const;

/** GETSTATUS answers 6 bytes: bStatus, bwPollTimeout[3], bState, iString. */
export const DFU_STATUS_LENGTH = 6;
export const DFU_STATUS_STATE_OFFSET = 4;

/** DFU DNLOAD block size (libirecovery, every chip except Port-DFU small-packet mode). */
export const DFU_PACKET_SIZE = 0x800;
/** Recovery bulk chunk size. */
export const RECOVERY_CHUNK_SIZE = 0x8000;
/** High-speed bulk max packet size: an upload that ends on a packet boundary needs a zero-length packet. */
export const RECOVERY_MAX_PACKET = 512;

/** docs/protocols/irecv.md#interfaces-and-endpoints: bulk OUT 0x04 takes uploads, bulk IN 0x81 is the iBoot console. */
export const RECOVERY_BULK_OUT_ENDPOINT = 4;
export const RECOVERY_BULK_IN_ENDPOINT = 1;

/** docs/protocols/irecv.md#iboot-commands: vendor requests (0x40 / 0xC0 to the device, 0x41 to the interface). */
export const IBootRequest = {
  /** A command line (OUT), or the answer to the last one (IN). */
  Command: 0,
  /** A command after which the phone may not answer (go, bootx, reboot, reset). */
  CommandNoAnswer: 1,
  /** To the interface: "start upload" before a recovery bulk upload. */
  StartUpload: 0,
} as const;

/** iBoot takes at most 255 command bytes plus the NUL, and answers with at most 255 bytes. */
export const MAX_IBOOT_COMMAND_BYTES = 255;
export const IBOOT_ANSWER_LENGTH = 255;

/** String descriptor indices in DFU and recovery; libirecovery reads the nonces at index 1 (docs/protocols/irecv.md#nonces). */
export const IrecvStringIndex = {
  Nonce: 1,
  Manufacturer: 2,
  Product: 3,
  Serial: 4,
} as const;
