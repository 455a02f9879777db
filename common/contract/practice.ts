import { z } from 'zod';
import { NoArguments, PhoneIdSchema } from './shapes';

/** Practice mode (virtual phones only): what the person could do with a real phone in their hands. */
export const PracticeActionSchema = z.enum([
  'plug',
  'unplug',
  'enter-recovery',
  'restart',
  'enter-passcode',
  'tap-trust',
  'tap-dont-trust',
  'choose-restore-from-computer',
]);
export type PracticeAction = z.infer<typeof PracticeActionSchema>;

/** A physical button of a virtual phone (the coach's practice mode presses them). */
export const PracticeButtonSchema = z.enum(['home', 'power', 'volumeUp', 'volumeDown']);
export type PracticeButton = z.infer<typeof PracticeButtonSchema>;

export const PracticePhoneSchema = z.object({
  id: z.string(),
  name: z.string(),
  plugged: z.boolean(),
  /** The buttons this model has, named as on the phone (Side / Top / Power / Home / Volume Up / Volume Down). */
  buttons: z.array(z.object({ button: PracticeButtonSchema, label: z.string() })).optional(),
  /** Buttons held down right now. */
  pressed: z.array(PracticeButtonSchema).optional(),
  /** What the virtual screen shows ('off' | 'black' | 'apple-logo' | 'recovery' | 'running'). */
  screen: z.string().optional(),
  /** The virtual phone's time factor (1 = real time): the coach scales its plan by it. */
  timeFactor: z.number().positive().optional(),
});
export type PracticePhone = z.infer<typeof PracticePhoneSchema>;

/** Practice mode: the virtual phones' "hands". Absent with real hardware. */
export interface PracticeControls {
  /** Asynchronous: the virtual phones may live in a process of their own (the practice host). */
  phones(): Promise<PracticePhone[]>;
  act(phoneId: string, action: PracticeAction): Promise<void>;
  /** Press or release a physical button of a virtual phone (the coach's practice mode). */
  button?(phoneId: string, button: PracticeButton, down: boolean): Promise<{ accepted: boolean; pressed: PracticeButton[] }>;
}

export const practiceCommands = {
  'practice.phones': { request: NoArguments, response: z.array(PracticePhoneSchema) },
  'practice.act': {
    request: z.object({ phoneId: PhoneIdSchema, action: PracticeActionSchema }).strict(),
    response: z.object({ done: z.literal(true) }),
  },
  /** Press (down: true) or release a physical button of a virtual phone. */
  'practice.button': {
    request: z.object({ phoneId: PhoneIdSchema, button: PracticeButtonSchema, down: z.boolean() }).strict(),
    response: z.object({ accepted: z.boolean(), pressed: z.array(PracticeButtonSchema) }),
  },
} as const;

export const practiceEvents = {} as const;
