import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JOURNEY_STATES } from '../../../common/contract/journey';
import { journeyDiagram, withDiagram } from '../../../main/journey/journey-diagram';

const DOC = new URL('../../../docs/journey.md', import.meta.url);

describe('docs/journey.md', () => {
  it('holds the diagram of the chart as the code has it (npm run docs:journey redraws it)', () => {
    const doc = readFileSync(DOC, 'utf8');
    expect(withDiagram(doc)).toBe(doc);
  });

  it('draws every state and every way out of each failure', () => {
    const diagram = journeyDiagram();
    for (const state of JOURNEY_STATES) expect(diagram).toMatch(new RegExp(`^  ${state} -->`, 'm'));
    for (const failure of ['backupFailed', 'firmwareFailed', 'coachMissed', 'restoreFailed', 'dataFailed']) {
      expect(diagram).toMatch(new RegExp(`^  ${failure} --> \\w+: (retry|skipBackupRestore)`, 'm'));
    }
  });

  it('notices a changed chart', () => {
    const doc = readFileSync(DOC, 'utf8');
    const stale = doc.replace('choosing --> noBackupWarning: continueWithoutBackup', 'choosing --> done: continueWithoutBackup');
    expect(stale).not.toBe(doc);
    expect(withDiagram(stale)).not.toBe(stale);
  });
});
