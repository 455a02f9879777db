/**
 * What only the desktop shell can do for the screens. In the Electron app the shell answers these itself (native
 * dialogs); every other transport's engine says it cannot, and the screen keeps its typed path field.
 */
import { z } from 'zod';

export const PATH_PURPOSES = ['ipsw', 'backup-folder', 'diagnostics-zip'] as const;
export const PathPurposeSchema = z.enum(PATH_PURPOSES);
export type PathPurpose = z.infer<typeof PathPurposeSchema>;

export const ChosenPathSchema = z.object({
  /** False where there is no native dialog (browser build, CLI): ask for a typed path instead. */
  available: z.boolean(),
  /** The full path chosen; null when the person cancelled (or no dialog is available). */
  path: z.string().nullable(),
});
export type ChosenPath = z.infer<typeof ChosenPathSchema>;

export const desktopCommands = {
  /** A native open (IPSW file, backup folder) or save (diagnostics zip) dialog. */
  'app.choosePath': {
    request: z.object({ purpose: PathPurposeSchema, suggestedName: z.string().min(1).max(200).optional() }).strict(),
    response: ChosenPathSchema,
  },
} as const;

export const desktopEvents = {} as const;
