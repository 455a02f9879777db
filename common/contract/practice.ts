import { z } from 'zod';
import { NoArguments, PhoneIdSchema } from './shapes';

/** Practice mode (virtual phones only): what the person could do with a real phone in their hands. */
export const PracticeActionSchema = z.enum(['plug', 'unplug', 'enter-recovery', 'restart', 'enter-passcode']);
export type PracticeAction = z.infer<typeof PracticeActionSchema>;

export const PracticePhoneSchema = z.object({ id: z.string(), name: z.string(), plugged: z.boolean() });
export type PracticePhone = z.infer<typeof PracticePhoneSchema>;

export const practiceCommands = {
  'practice.phones': { request: NoArguments, response: z.array(PracticePhoneSchema) },
  'practice.act': {
    request: z.object({ phoneId: PhoneIdSchema, action: PracticeActionSchema }).strict(),
    response: z.object({ done: z.literal(true) }),
  },
} as const;

export const practiceEvents = {} as const;
