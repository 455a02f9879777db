/**
 * "Export diagnostics": what support needs to help, gathered into one zip the person reviews before saving — logs,
 * saved journeys, versions and host facts, every identifier redacted; never a backup, never a password.
 */
import { z } from 'zod';
import { FullPathSchema } from './shapes';

export const DiagnosticsFileSchema = z.object({
  /** The file's name inside the zip (`logs/engine.3.log`, `journeys/ph-….json`, `host-facts.json`). */
  name: z.string().max(200),
  /** Its size in the zip, before compression. */
  bytes: z.number().int().nonnegative(),
  /** The beginning of exactly what will be saved (already redacted). */
  preview: z.string(),
  /** Only the newest part of a long log is included. */
  shortened: z.boolean(),
});
export type DiagnosticsFile = z.infer<typeof DiagnosticsFileSchema>;

export const DiagnosticsPreviewSchema = z.object({
  files: z.array(DiagnosticsFileSchema),
  /** What is never included, in plain words. */
  leftOut: z.array(z.string()),
  /** A file name to suggest when saving (`lifeline-diagnostics-2025-05-03.zip`). */
  suggestedName: z.string(),
});
export type DiagnosticsPreview = z.infer<typeof DiagnosticsPreviewSchema>;

export const DiagnosticsExportSchema = z.object({
  path: z.string(),
  bytes: z.number().int().nonnegative(),
  files: z.number().int().nonnegative(),
});
export type DiagnosticsExport = z.infer<typeof DiagnosticsExportSchema>;

export const diagnosticsCommands = {
  'diagnostics.preview': { request: z.object({}).strict(), response: DiagnosticsPreviewSchema },
  /** Writes the zip the preview showed to `path` (a full path), atomically (a temp file renamed into place). */
  'diagnostics.export': { request: z.object({ path: FullPathSchema }).strict(), response: DiagnosticsExportSchema },
} as const;

export const diagnosticsEvents = {} as const;
