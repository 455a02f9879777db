/**
 * Saved journeys (docs/journey.md#saved-journeys): one JSON file per phone, `<public id>.json` in the journeys folder,
 * written on every transition with temp + fsync + rename so a crash leaves the old file or the new one, never half.
 * A file that cannot be read, or that a newer Lifeline wrote, is renamed `.corrupt` and reported — never a crash.
 */
import { readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { JOURNEY_STATES } from '../../common/contract/journey';
import { PhoneModeSchema } from '../../common/phone';
import type { Problem } from '../../common/api';
import { renderProblem } from '../../common/problems/catalog';
import { ATOMIC_TEMP_SUFFIX, writeFileAtomic } from '../log/atomic-file';

export const JOURNEY_FILE_VERSION = 1;
/** A saved journey is a few kilobytes; anything near this is not one of ours. */
const MAX_FILE_BYTES = 256 * 1024;
const PUBLIC_ID = /^ph-[0-9a-f]{12}$/;
const ACTOR_NAMES = ['assess', 'backUp', 'checkPassword', 'prepareFirmware', 'enterRecovery', 'coach', 'restore', 'restoreData'] as const;

const text = (max: number) => z.string().max(max);
const ProblemShape = z.object({
  code: text(100),
  title: text(500),
  detail: text(2000),
  nextSteps: z.array(text(1000)).max(20),
  helpUrl: text(2000).startsWith('https://').optional(),
});
const BackupShape = z.object({
  id: text(200),
  date: text(64).nullable(),
  sizeBytes: z.number().nonnegative().nullable(),
  encrypted: z.boolean().nullable(),
  label: text(200),
});
const FirmwareShape = z.object({ version: text(32), build: text(32) });

/** The chart's context as it may be read back: every field bounded, nothing trusted. */
export const SavedContextSchema = z.object({
  phoneId: text(64),
  phone: z.object({
    name: text(200),
    modelName: text(200),
    mode: PhoneModeSchema,
    connected: z.boolean(),
    identifying: z.boolean(),
    trusted: z.boolean().nullable(),
    passcodeSet: z.boolean().nullable(),
    iosVersion: text(32).nullable(),
    canBackUp: z.boolean(),
    triageHeadline: text(500),
    triageReason: text(2000),
  }),
  backups: z.array(BackupShape).max(200),
  chosenBackup: BackupShape.nullable(),
  backedUpNow: z.boolean(),
  afterPassword: z.enum(['firmware', 'data']),
  firmware: FirmwareShape.nullable(),
  coachAttempt: text(100).nullable(),
  coachOutcome: z
    .object({ success: z.boolean(), headline: text(500), detail: text(2000), nextSteps: z.array(text(1000)).max(20) })
    .nullable(),
  coachMisses: z.number().int().nonnegative().max(1000),
  problem: ProblemShape.nullable(),
  notice: text(1000).nullable(),
});

/** xstate's persisted snapshot of the chart: a flat state, its context, the step actor running in it (with its input). */
export const PersistedJourneySchema = z
  .object({
    status: z.enum(['active', 'done']),
    value: z.enum(JOURNEY_STATES),
    historyValue: z.record(z.string(), z.unknown()),
    context: SavedContextSchema,
    children: z.record(
      text(200),
      z.object({
        src: z.enum(ACTOR_NAMES),
        snapshot: z.object({ status: z.string().max(20), input: z.record(z.string(), z.unknown()).optional() }).passthrough(),
        syncSnapshot: z.boolean().optional(),
      }),
    ),
  })
  .passthrough();
export type PersistedJourney = z.infer<typeof PersistedJourneySchema>;

export const SavedJourneySchema = z.object({
  version: z.literal(JOURNEY_FILE_VERSION),
  publicId: z.string().regex(PUBLIC_ID),
  phoneId: text(64),
  savedAt: text(64),
  snapshot: PersistedJourneySchema,
});
export type SavedJourney = z.infer<typeof SavedJourneySchema>;

export type LoadedJourneys = { journeys: SavedJourney[]; setAside: Problem[] };

export class JourneyStore {
  constructor(readonly folder: string) {}

  fileOf(publicId: string): string {
    if (!PUBLIC_ID.test(publicId)) throw new Error(`Not a public phone id: ${publicId.slice(0, 40)}`);
    return join(this.folder, `${publicId}.json`);
  }

  /** Atomic and durable: the temp file is flushed before the rename, the folder after it. */
  save(journey: SavedJourney): void {
    writeFileAtomic(this.fileOf(journey.publicId), JSON.stringify(journey));
  }

  remove(publicId: string): boolean {
    const file = this.fileOf(publicId);
    try {
      rmSync(file);
      return true;
    } catch {
      return false;
    }
  }

  /** Every saved journey that reads back as one; the rest are set aside with a Problem each. Leftover temp files go. */
  loadAll(): LoadedJourneys {
    const result: LoadedJourneys = { journeys: [], setAside: [] };
    let names: string[];
    try {
      names = readdirSync(this.folder);
    } catch {
      return result;
    }
    for (const name of names) {
      const path = join(this.folder, name);
      if (name.endsWith(ATOMIC_TEMP_SUFFIX)) {
        rmSync(path, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const read = readSaved(path, name.slice(0, -'.json'.length));
      if (read.ok) result.journeys.push(read.journey);
      else result.setAside.push(this.setAside(path, name, read.reason));
    }
    return result;
  }

  private setAside(path: string, name: string, reason: string): Problem {
    try {
      renameSync(path, `${path}.${Date.now()}.corrupt`);
    } catch {
      rmSync(path, { force: true });
    }
    return renderProblem('journey-save-set-aside', { file: name, reason });
  }
}

function readSaved(path: string, expectedId: string): { ok: true; journey: SavedJourney } | { ok: false; reason: string } {
  try {
    if (statSync(path).size > MAX_FILE_BYTES) return { ok: false, reason: 'larger than any saved journey' };
    const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
    const version = typeof raw === 'object' && raw !== null ? (raw as { version?: unknown }).version : undefined;
    if (typeof version === 'number' && version > JOURNEY_FILE_VERSION)
      return { ok: false, reason: `saved by a newer Lifeline (version ${version})` };
    const parsed = SavedJourneySchema.safeParse(raw);
    if (!parsed.success)
      return { ok: false, reason: `not a journey Lifeline can read (${parsed.error.issues[0]?.path.join('.') || 'shape'})` };
    if (parsed.data.publicId !== expectedId) return { ok: false, reason: 'its name and its phone do not match' };
    return { ok: true, journey: parsed.data };
  } catch (error) {
    return { ok: false, reason: error instanceof SyntaxError ? 'not JSON' : 'unreadable' };
  }
}
