import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { JourneySnapshot } from '../../../common/api';
import { JourneyProgressBar, journeyJsonLine } from '../../../main/cli/rescue-command';

function snapshot(overrides: Partial<JourneySnapshot>): JourneySnapshot {
  return {
    phoneId: '000000000000ABCD',
    publicId: 'ph-0123456789ab',
    name: "Anna's iPhone",
    modelName: 'iPhone 5s (GSM)',
    mode: 'normal',
    connected: true,
    state: 'backingUp',
    step: 'backup',
    stepIndex: 2,
    stepTotal: 10,
    title: 'Backing up',
    message: 'Keep the cable in.',
    safety: { status: 'not-saved', line: 'Your photos: not saved yet.' },
    job: 'job-1',
    progress: { job: 'job-1', phase: 'files', fraction: 0.5, message: 'Copying files', etaSeconds: 75 },
    problem: null,
    notice: null,
    next: null,
    secondary: [{ id: 'cancel', label: 'Stop' }],
    backups: [],
    chosenBackup: null,
    firmware: null,
    confirmation: null,
    coachAttempt: null,
    passcodeGuidance: null,
    updatedAt: '2025-05-03T10:00:00.000Z',
    ...overrides,
  };
}

function terminal() {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
  let drawn = '';
  stream.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
  return { stream, drawn: () => drawn };
}

describe('lifeline rescue output', () => {
  it('draws the running step with cli-progress: percentage, stage and time left', () => {
    const { stream, drawn } = terminal();
    const bar = new JourneyProgressBar(stream);
    bar.show(snapshot({}));
    bar.stop();
    expect(drawn()).toMatch(/50% \| Copying files \| 1 min 15 s left/);
  });

  it('never draws a job going backwards, and starts a fresh bar for the next job', () => {
    const { stream, drawn } = terminal();
    const bar = new JourneyProgressBar(stream);
    bar.show(snapshot({ progress: { job: 'job-1', phase: 'files', fraction: 0.6, message: 'Copying files' } }));
    bar.show(snapshot({ progress: { job: 'job-1', phase: 'files', fraction: 0.2, message: 'Copying files' } }));
    expect(drawn()).not.toMatch(/20%/);
    bar.show(snapshot({ job: 'job-2', progress: { job: 'job-2', phase: 'catalog', fraction: 0.1, message: 'Finding iOS' } }));
    bar.stop();
    expect(drawn()).toMatch(/60% \| Copying files[\s\S]*10% \| Finding iOS/);
  });

  it('prints a transition as one JSON line naming the phone only by its public id', () => {
    const line = journeyJsonLine(snapshot({ state: 'choosing', next: { id: 'backUp', label: 'Back up now' } }));
    expect(line).not.toContain('\n');
    expect(line).not.toContain('000000000000ABCD');
    expect(JSON.parse(line)).toMatchObject({
      event: 'journey',
      phoneId: 'ph-0123456789ab',
      state: 'choosing',
      step: 'backup',
      next: 'backUp',
      secondary: ['cancel'],
    });
  });
});
