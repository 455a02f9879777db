import { z } from 'zod';
import { PhoneIdSchema, FullPathSchema } from './shapes';

/** docs/protocols/firmware.md: which catalog said what. Apple's version.xml is primary; ipsw.me is the second opinion on signing. */
export const FirmwareSourceSchema = z.enum(['apple', 'ipswme']);

/** One restore image for one ProductType, as the catalogs describe it. */
export const FirmwareEntrySchema = z.object({
  productType: z.string(),
  version: z.string(),
  build: z.string(),
  url: z.string(),
  fileName: z.string(),
  /** null when no catalog gave a size (Apple's catalog has none). */
  size: z.number().int().nonnegative().nullable(),
  sha1: z.string().nullable(),
  sha256: z.string().nullable(),
  /** ipsw.me's last observation; null = no opinion. The final word is Apple's signing server at restore time. */
  signed: z.boolean().nullable(),
  sources: z.array(FirmwareSourceSchema),
});
export type FirmwareEntry = z.infer<typeof FirmwareEntrySchema>;

export const FirmwareListSchema = z.object({
  productType: z.string(),
  boardConfig: z.string().nullable(),
  /** Newest first. */
  entries: z.array(FirmwareEntrySchema),
  /** The recommended one: the newest that is signed (or, with no signing opinion, the newest). */
  latest: FirmwareEntrySchema.nullable(),
  /** When the catalogs were fetched (ISO); "signed as of" in the UI. */
  checkedAt: z.string().nullable(),
  /** true when the network failed and the answer came from the cache. */
  offline: z.boolean(),
  /** Plain-words notes: a catalog that could not be reached or had odd entries. */
  warnings: z.array(z.string()),
});
export type FirmwareList = z.infer<typeof FirmwareListSchema>;

/** A verified IPSW on disk: the `result` of firmware jobs and the answer of firmware.status. */
export const PreparedFirmwareSchema = z.object({
  path: z.string(),
  productType: z.string(),
  version: z.string(),
  build: z.string(),
  size: z.number().int().nonnegative(),
  sha1: z.string(),
  /** true when the file matched a catalog hash (always for downloads); false for a local file no catalog knows. */
  catalogVerified: z.boolean(),
  /** The BuildManifest has an identity for this board. */
  fitsBoard: z.string().nullable(),
  /** "signed as of": when a catalog last said this build was signed (ISO), else null. */
  signedAsOf: z.string().nullable(),
});
export type PreparedFirmware = z.infer<typeof PreparedFirmwareSchema>;

export const FirmwareStatusSchema = z.object({
  phoneId: z.string(),
  state: z.enum(['unknown-model', 'not-ready', 'preparing', 'ready']),
  firmware: PreparedFirmwareSchema.nullable(),
  /** The running job while preparing. */
  job: z.string().nullable(),
});
export type FirmwareStatus = z.infer<typeof FirmwareStatusSchema>;

const ModelRequest = {
  productType: z.string().min(1).max(32),
  boardConfig: z.string().min(1).max(32).optional(),
};
const JobStarted = z.object({ job: z.string() });

export const firmwareCommands = {
  'firmware.list': {
    request: z.object({ ...ModelRequest, refresh: z.boolean().optional() }).strict(),
    response: FirmwareListSchema,
  },
  /** Ready before the buttons: download (or reuse) and verify the latest signed IPSW for this phone. Job kind 'firmware.prepare'. */
  'firmware.prepare': { request: z.object({ phoneId: PhoneIdSchema }).strict(), response: JobStarted },
  /** The same for a model without a phone (CLI `firmware get`); `directory` copies nothing, it is where the file lands. */
  'firmware.get': {
    request: z.object({ ...ModelRequest, directory: FullPathSchema.optional() }).strict(),
    response: JobStarted,
  },
  /** A local .ipsw: checked to fit the phone (or model) and against the catalog hash when known. Job kind 'firmware.verify'. */
  'firmware.useLocal': {
    request: z
      .object({
        path: FullPathSchema,
        phoneId: PhoneIdSchema.optional(),
        productType: ModelRequest.productType.optional(),
        boardConfig: ModelRequest.boardConfig,
      })
      .strict(),
    response: JobStarted,
  },
  'firmware.status': { request: z.object({ phoneId: PhoneIdSchema }).strict(), response: FirmwareStatusSchema },
} as const;

export const firmwareEvents = {
  /** A phone's firmware became ready (or stopped being). */
  'firmware.changed': FirmwareStatusSchema,
} as const;
