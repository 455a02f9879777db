/**
 * The referee (docs/protocols/coach.md#outcome-table, docs/protocols/coach.md#detection-and-timing): reads what the USB bus showed for ONE phone (same ECID) during and after an
 * attempt and names the outcome. Pure: the attempt feeds it sightings with times relative to its start.
 */
import type { CoachGoal } from '../../common/coach-plans';
import type { CoachOutcomeKind } from '../../common/contract/coach';
import type { PhoneMode } from '../../common/phone';

/** The phone as the registry showed it at a moment (ms since the attempt started). */
export type Sighting = { atMs: number; connected: boolean; mode: PhoneMode };

export type ClassifyInput = {
  goal: CoachGoal;
  /** How the phone was when the attempt started. */
  start: { connected: boolean; mode: PhoneMode };
  /** Every change seen since, in time order. */
  sightings: readonly Sighting[];
  nowMs: number;
  /** Scaled end of the plan's last step. */
  planEndMs: number;
  /** After the plan: how long a phone that never left the bus is given before "it did not restart". */
  settleMs: number;
  /** After the phone left the bus: how long before "no Apple device at all" (docs/protocols/coach.md#outcome-table: ~15 s). */
  nothingAfterMs: number;
};

export type Classification = { state: 'pending' } | { state: 'decided'; kind: CoachOutcomeKind; atMs: number };

const PENDING: Classification = { state: 'pending' };

/**
 * DFU (or WTF) with the same ECID → 'dfu', at once (R4: stop early).
 * Recovery or normal after the phone had left the bus → 'recovery' / 'normal', at once.
 * Still away `nothingAfterMs` after it left (and the plan is over) → 'nothing'.
 * Never left the bus by the end of the plan + settle → 'no-restart' (on iPhone 8+ that is the Emergency SOS row).
 */
export function classify(input: ClassifyInput): Classification {
  let left: number | null = input.start.connected ? null : 0;
  for (const s of input.sightings) {
    if (!s.connected) {
      left ??= s.atMs;
      continue;
    }
    if (s.mode === 'dfu' || s.mode === 'wtf') return { state: 'decided', kind: 'dfu', atMs: s.atMs };
    if (left === null) continue;
    if (s.mode === 'recovery') {
      // A phone that was in recovery and comes straight back in recovery during a recovery goal still counts.
      return { state: 'decided', kind: 'recovery', atMs: s.atMs };
    }
    if (s.mode === 'normal') return { state: 'decided', kind: 'normal', atMs: s.atMs };
  }
  const last = input.sightings.at(-1);
  const connectedNow = last ? last.connected : input.start.connected;
  if (input.goal === 'recovery' && connectedNow && input.start.mode === 'recovery' && left === null) {
    // Already where the person wanted to go.
    return { state: 'decided', kind: 'recovery', atMs: 0 };
  }
  if (!connectedNow && left !== null) {
    const deadline = Math.max(input.planEndMs, left + input.nothingAfterMs);
    if (input.nowMs >= deadline) return { state: 'decided', kind: 'nothing', atMs: deadline };
    return PENDING;
  }
  if (left === null && input.nowMs >= input.planEndMs + input.settleMs) {
    return { state: 'decided', kind: 'no-restart', atMs: input.planEndMs + input.settleMs };
  }
  return PENDING;
}

/** The next moment at which classify() may change its answer without a new sighting (for the attempt's timer). */
export function nextDeadline(input: ClassifyInput): number | null {
  let left: number | null = input.start.connected ? null : 0;
  for (const s of input.sightings) if (!s.connected) left ??= s.atMs;
  const last = input.sightings.at(-1);
  const connectedNow = last ? last.connected : input.start.connected;
  if (!connectedNow && left !== null) return Math.max(input.planEndMs, left + input.nothingAfterMs);
  if (left === null) return input.planEndMs + input.settleMs;
  return null;
}
