import { describe, expect, it } from 'vitest';
import type { JourneySnapshot } from '../../../common/api';
import { Engine } from '../../../main/rescue/engine';
import { captureLog } from './capture-log';

const snapshot = (state: JourneySnapshot['state'], fraction: number | null, code: string | null = null): JourneySnapshot =>
  ({
    phoneId: '001A2B3C4D5E6F78',
    publicId: 'ph-0123456789ab',
    state,
    step: 'restore',
    job: 'j1',
    connected: true,
    mode: 'recovery',
    progress: fraction === null ? null : { job: 'j1', phase: 'restore', fraction, message: '' },
    problem: code === null ? null : { code, title: '', detail: '', nextSteps: [] },
  }) as JourneySnapshot;

describe('journey transitions in the log', () => {
  it('writes one line per transition (never per progress update), by public id, with the failure’s code', () => {
    const capture = captureLog();
    const engine = new Engine({ version: '1' });
    engine.emit('journey.changed', snapshot('restoring', 0.1));
    engine.emit('journey.changed', snapshot('restoring', 0.5));
    engine.emit('journey.changed', snapshot('restoreFailed', null, 'restore-error-14'));
    capture.stop();
    expect(capture.lines().map(({ event, from, to, code, phone }) => ({ event, from, to, code, phone }))).toEqual([
      { event: 'journey.transition', from: null, to: 'restoring', code: null, phone: 'ph-0123456789ab' },
      { event: 'journey.transition', from: 'restoring', to: 'restoreFailed', code: 'restore-error-14', phone: 'ph-0123456789ab' },
    ]);
    expect(capture.text()).not.toContain('001A2B3C4D5E6F78');
  });
});
