import { describe, expect, it, vi } from 'vitest';
import { ProblemError, type Progress } from '../../../common/api';
import { Engine } from '../../../main/rescue/engine';
import { dispatch, subscribe } from '../../../main/transport/dispatcher';
import { createInProcessClient } from '../../../main/transport/in-process';
import { coalesceProgress } from '../../../main/transport/progress-coalescer';

const context = { transport: 'in-process' as const };

describe('the contract boundary', () => {
  it('answers a valid command with its value', async () => {
    const engine = new Engine({ version: '1.2.3' });
    const envelope = await dispatch(engine, context, 'app.info', {});
    expect(envelope).toMatchObject({ ok: true, value: { version: '1.2.3', transport: 'in-process', demo: false } });
  });

  it('refuses unknown commands and unexpected arguments without calling the engine', async () => {
    const engine = new Engine({ version: '1' });
    const spy = vi.spyOn(engine.handlers, 'app.info');
    expect(await dispatch(engine, context, 'shell.exec', {})).toMatchObject({ ok: false, problem: { code: 'unknown-command' } });
    expect(await dispatch(engine, context, 'app.info', { extra: 'x' })).toMatchObject({ ok: false, problem: { code: 'bad-request' } });
    expect(await dispatch(engine, context, '__proto__', {})).toMatchObject({ ok: false });
    expect(spy).not.toHaveBeenCalled();
  });

  it('keeps a typed Problem intact through the envelope', async () => {
    const engine = new Engine({ version: '1' });
    const { problem } = new ProblemError('no-phone');
    vi.spyOn(engine.handlers, 'devices.list').mockRejectedValue(new ProblemError('no-phone'));
    expect(await dispatch(engine, context, 'devices.list', {})).toEqual({ ok: false, problem });
    await expect(createInProcessClient(engine).invoke('devices.list', {})).rejects.toMatchObject({ problem });
  });

  it('turns unexpected exceptions into a plain-words Problem', async () => {
    const engine = new Engine({ version: '1' });
    vi.spyOn(engine.handlers, 'devices.list').mockRejectedValue(new Error('boom'));
    const envelope = await dispatch(engine, context, 'devices.list', {});
    expect(envelope).toMatchObject({
      ok: false,
      problem: {
        code: 'internal',
        detail: expect.stringContaining('boom'),
        nextSteps: expect.arrayContaining([expect.stringContaining('lifeline diagnostics export')]),
      },
    });
  });

  it('delivers events to subscribers until they unsubscribe', () => {
    const engine = new Engine({ version: '1' });
    const seen: unknown[] = [];
    const off = subscribe(engine, 'devices.changed', (phones) => seen.push(phones));
    engine.emit('devices.changed', []);
    off();
    engine.emit('devices.changed', []);
    expect(seen).toEqual([[]]);
    expect(() => subscribe(engine, 'no.such.event', () => undefined)).toThrow(ProblemError);
  });
});

describe('progress coalescing', () => {
  const record = (fraction: number, phase = 'copy'): Progress => ({ job: 'j1', phase, fraction, message: '' });

  it('sends at most one record per interval, always the latest, and never holds back a phase change or the end', () => {
    vi.useFakeTimers();
    try {
      const sent: Progress[] = [];
      const coalescer = coalesceProgress(50, (p) => sent.push(p));
      for (let i = 1; i <= 100; i++) coalescer.push(record(i / 1000));
      expect(sent.map((p) => p.fraction)).toEqual([0.001]);
      vi.advanceTimersByTime(50);
      expect(sent.map((p) => p.fraction)).toEqual([0.001, 0.1]);
      coalescer.push(record(0.2, 'verify'));
      coalescer.push(record(1, 'verify'));
      expect(sent.map((p) => [p.phase, p.fraction])).toEqual([
        ['copy', 0.001],
        ['copy', 0.1],
        ['verify', 0.2],
        ['verify', 1],
      ]);
      coalescer.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('backup folders at the boundary', () => {
  it('accepts only full paths, so nothing is resolved against wherever the engine happens to run', async () => {
    const { commandSchemas } = await import('../../../common/api');
    const request = commandSchemas['backup.start'].request;
    for (const ok of ['/home/ada/Backups', 'C:\\Users\\Ada\\Backups', 'D:/Backups'])
      expect(request.safeParse({ directory: ok }).success, ok).toBe(true);
    // Network shares and device paths are refused too (common/full-path.ts): opening one can leak network credentials.
    for (const bad of ['Backups', './x', '../x', '~/Backups', '/tmp/a\0b', '', '/home/../etc', '\\\\nas\\share\\Backups', '\\\\?\\C:\\x']) {
      expect(request.safeParse({ directory: bad }).success, bad).toBe(false);
    }
  });
});
