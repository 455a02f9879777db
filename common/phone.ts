import { z } from 'zod';

export const PhoneModeSchema = z.enum(['normal', 'recovery', 'dfu', 'wtf', 'restore', 'unknown']);
export type PhoneMode = z.infer<typeof PhoneModeSchema>;

export const ButtonFamilySchema = z.enum(['home', 'volume-down-side', 'volume-side']);

export const PhoneModelSchema = z.object({
  /** "iPhone 5s (GSM)", or "Unknown Apple device (CPID 0x…)" when the table has no row */
  name: z.string(),
  productType: z.string().nullable(),
  boardConfig: z.string().nullable(),
  cpid: z.number().int().nullable(),
  bdid: z.number().int().nullable(),
  buttons: ButtonFamilySchema.nullable(),
  known: z.boolean(),
});
export type PhoneModel = z.infer<typeof PhoneModelSchema>;

/** Can a backup be made right now — and if not, why, in plain words, and what the person can do. */
export const TriageVerdictSchema = z.object({
  canBackUp: z.boolean(),
  headline: z.string(),
  reason: z.string(),
  nextSteps: z.array(z.string()),
  /** The Problem code behind a refusal (common/problems); `backup.start` refuses with it, e.g. 'phone-invalid-identity'. */
  code: z.string().optional(),
  /** The help page of that Problem, when it has one. */
  helpUrl: z.string().startsWith('https://').max(2000).optional(),
});
export type TriageVerdict = z.infer<typeof TriageVerdictSchema>;

/** One phone as the user sees it: the USB, usbmux and lockdown views merged (issue: device registry). */
export const PhoneSchema = z.object({
  /** Stable across mode changes: ECID when known, else the UDID. */
  id: z.string(),
  mode: PhoneModeSchema,
  model: PhoneModelSchema,
  iosVersion: z.string().nullable(),
  buildVersion: z.string().nullable(),
  deviceName: z.string().nullable(),
  /** false while the phone is away (re-enumerating between modes, or unplugged) and the card waits for it. */
  connected: z.boolean(),
  /** true while Lifeline is still asking the phone who it is and what state it is in. */
  identifying: z.boolean(),
  trusted: z.boolean().nullable(),
  passcodeSet: z.boolean().nullable(),
  triage: TriageVerdictSchema,
});
export type Phone = z.infer<typeof PhoneSchema>;

const UnavailableFields = { reason: z.string(), detail: z.string(), fix: z.string() };

/** Which way recovery/DFU phones are reached: libusb (npm `usb`), Apple's Windows driver, both, a USB/IP server, or practice phones. */
export const UsbBackendSchema = z.enum(['libusb', 'apple-driver', 'apple-driver-and-libusb', 'usbip', 'simulator']);
export type UsbBackend = z.infer<typeof UsbBackendSchema>;

const USB_BACKEND_WORDS: Record<UsbBackend, string> = {
  libusb: 'direct USB access (libusb)',
  'apple-driver': 'Apple’s driver (from Apple Devices or iTunes)',
  'apple-driver-and-libusb': 'Apple’s driver, and WinUSB/libusbK for phones bound to it',
  usbip: 'a USB/IP server',
  simulator: 'practice phones',
};

/** The backend in plain words, for `lifeline info` and the app's notices. */
export function usbBackendWords(backend: UsbBackend): string {
  return USB_BACKEND_WORDS[backend];
}

/** Direct USB access (recovery/DFU phones). */
export const UsbStatusSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('ready'), backend: UsbBackendSchema.optional() }),
  z.object({ state: z.literal('unavailable'), backend: UsbBackendSchema.optional(), ...UnavailableFields }),
]);
export type UsbStatus = z.infer<typeof UsbStatusSchema>;

/** The system's usbmuxd / Apple Mobile Device Service (normal-mode phones). */
export const UsbmuxStatusSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('connecting') }),
  z.object({ state: z.literal('connected') }),
  z.object({ state: z.literal('unavailable'), ...UnavailableFields }),
]);
export type UsbmuxStatus = z.infer<typeof UsbmuxStatusSchema>;

/** How this computer can reach phones right now. */
export const HostStatusSchema = z.object({ usb: UsbStatusSchema, usbmux: UsbmuxStatusSchema });
export type HostStatus = z.infer<typeof HostStatusSchema>;
