import { z } from 'zod';
import { PhoneIdSchema } from './shapes';

/** What Activation Lock will ask for after an erase (common/activation-lock.ts has the words). */
export const ActivationLockSchema = z.object({
  /** 'on': Find My is on, the Apple ID and password that were on the phone are needed after an erase. */
  state: z.enum(['on', 'off', 'unknown']),
  /** The facts the state rests on, one per line ("The phone reports Find My as on"). */
  evidence: z.array(z.string()),
  message: z.string(),
  /** Apple's own pages: iforgot, account recovery, Activation Lock. */
  links: z.array(z.object({ label: z.string(), url: z.string().startsWith('https://') })),
});
export type ActivationLock = z.infer<typeof ActivationLockSchema>;

export const activationLockCommands = {
  /** Asks a phone running iOS whether Find My is on (lockdown, needs trust); a phone in recovery or DFU mode: 'unknown'. */
  'phone.activationLock': { request: z.object({ phoneId: PhoneIdSchema }).strict(), response: ActivationLockSchema },
} as const;

export const activationLockEvents = {} as const;
