import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { JobSummary, LifelineApi } from '../../../common/api';
import { printProblem } from '../../../main/cli/cli-output';
import { followJob } from '../../../main/cli/follow-job';

describe('following a job from the command line', () => {
  it('ends an interrupted job as a failure whose Problem (next steps included) is printed', async () => {
    const events = new EventEmitter();
    const api = {
      invoke: async () => ({ job: 'j1' }),
      on: (event: string, listener: (payload: unknown) => void) => {
        events.on(event, listener);
        return () => events.off(event, listener);
      },
    } as unknown as LifelineApi;
    const lines: string[] = [];
    const output = { json: false, out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) };
    const interrupted: JobSummary = {
      job: 'j1',
      kind: 'backup',
      title: 'Back up iPhone',
      phoneId: null,
      state: 'interrupted',
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:01.000Z',
      progress: null,
      problem: {
        code: 'job-interrupted',
        title: 'Back up iPhone — interrupted',
        detail: 'The engine stopped.',
        nextSteps: ['Start the backup again.'],
      },
    };
    const ending = followJob(api, output, new AbortController().signal, async () => {
      setImmediate(() => events.emit('jobs.changed', interrupted));
      return { job: 'j1' };
    });
    const ended = await ending;
    expect(ended).toEqual({ state: 'failed', problem: interrupted.problem });
    printProblem(output, { problem: interrupted.problem });
    expect(lines.join('\n')).toContain('Back up iPhone — interrupted\nThe engine stopped.\n  • Start the backup again.');
  });
});
