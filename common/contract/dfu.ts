import { z } from 'zod';

/** What one phone in DFU or recovery mode reports over USB (docs/protocols/irecv.md#serial-string, docs/protocols/irecv.md#nonces). */
export const DfuPhoneSchema = z.object({
  mode: z.enum(['dfu', 'wtf', 'recovery', 'port-dfu', 'kis']),
  /** USB product id, e.g. "0x1227". */
  productId: z.string(),
  /** Where it is attached (USB port or USB/IP server + busid). */
  location: z.string(),
  cpid: z.string(),
  bdid: z.string().optional(),
  /** 16 hex digits; masked ("…4E5F60", common/phone-id-mask.ts) unless the request asks for the full value. */
  ecid: z.string().optional(),
  /** The opaque id `lifeline devices --json` gives the same phone (a hash of its ECID), when the ECID is known. */
  phoneId: z.string().optional(),
  model: z.object({ productType: z.string(), name: z.string(), boardConfig: z.string() }).optional(),
  /** SecureROM tag: present while SecureROM (DFU) answers. */
  srtg: z.string().optional(),
  apNonce: z.string().optional(),
  sepNonce: z.string().optional(),
});
export type DfuPhone = z.infer<typeof DfuPhoneSchema>;

export const dfuCommands = {
  /** Every phone in DFU / recovery mode on the USB bus and what it says about itself. */
  'dfu.info': {
    request: z.object({ showEcid: z.boolean().optional() }).strict(),
    response: z.array(DfuPhoneSchema),
  },
} as const;

export const dfuEvents = {} as const;
