/**
 * `lifeline rescue` against practice phones: --json --yes streams the transitions as JSON lines and keeps its place
 * when quit; running it again in a terminal resumes there, asks one question at a time, and draws its
 * progress with cli-progress.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../main/cli';
import type { Output } from '../../main/cli/cli-output';
import { EXIT } from '../../main/cli/exit-codes';
import { rescueCommand } from '../../main/cli/rescue-command';
import { createAppEngine } from '../../main/rescue/create-engine';
import { createInProcessClient } from '../../main/transport/in-process';
import type { JourneySnapshot } from '../../common/api';
import { practicePhone } from './journey-practice';

let dir: string;
const saved = { data: process.env.LIFELINE_DATA_DIR, backups: process.env.LIFELINE_BACKUP_DIR };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeline-rescue-cli-'));
  process.env.LIFELINE_DATA_DIR = dir;
  process.env.LIFELINE_BACKUP_DIR = join(dir, 'backups');
});

afterEach(() => {
  for (const [key, value] of [
    ['LIFELINE_DATA_DIR', saved.data],
    ['LIFELINE_BACKUP_DIR', saved.backups],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** One `lifeline rescue` run against a fresh practice engine (the phones at a hundredth of real time), as the CLI runs it. */
async function rescueRun(
  io: Omit<Output, 'json'> & { json: boolean },
  options: { yes: boolean },
  progress: NodeJS.WritableStream | null,
  quitWhen: (snapshot: JourneySnapshot) => boolean = () => false,
): Promise<{ code: number; phoneId: string }> {
  const engine = await createAppEngine({ demo: true, demoTimeFactor: 0.01, reconnectGraceMs: 60_000 });
  try {
    const api = createInProcessClient(engine);
    const phone = await practicePhone(api, 'Practice iPhone 5s');
    const quit = new AbortController();
    // The person quits (Ctrl-C) when the journey reaches a given point.
    api.on('journey.changed', (snapshot) => {
      if (snapshot.phoneId === phone.id && quitWhen(snapshot)) quit.abort();
    });
    const code = await rescueCommand(api, io, quit.signal, { phone: phone.id, yes: options.yes }, progress);
    return { code, phoneId: phone.id };
  } finally {
    await engine.close();
  }
}

describe('lifeline rescue (practice phones)', () => {
  it('streams JSON lines with --json --yes, keeps its place when quit while the erased phone waits in its setup, and resumes there when run again', async () => {
    const lines: string[] = [];
    const first = await rescueRun({ json: true, out: (text) => lines.push(text), err: () => undefined }, { yes: true }, null, (snapshot) =>
      /From Mac or PC/.test(snapshot.progress?.message ?? ''),
    );
    const events = lines.map((line) => JSON.parse(line) as { event: string; phoneId: string; state: string; next: string | null });
    expect(events.every((event) => event.event === 'journey' && /^ph-[0-9a-f]{12}$/.test(event.phoneId))).toBe(true);
    expect(lines.join('\n')).not.toContain(first.phoneId);
    // --yes took the suggested answers (back up, erase); the person quit while the erased phone waited in its setup.
    expect(events.map((event) => event.state)).toEqual([
      'assessing',
      'choosing',
      'backingUp',
      'preparingFirmware',
      'confirmErase',
      'enteringRecovery',
      'restoring',
      'restoringData',
    ]);
    expect(first.code).toBe(EXIT.cancelled);

    // Again, in a terminal: the saved journey puts the data back again; one question at a time; a live bar.
    const out: string[] = [];
    const questions: string[] = [];
    const answers = [''];
    const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
    let drawn = '';
    terminal.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
    const second = await rescueRun(
      {
        json: false,
        out: (text) => out.push(text),
        err: (text) => out.push(text),
        ask: async (question) => {
          questions.push(question);
          return answers.shift() ?? '';
        },
      },
      { yes: false },
      terminal,
    );
    expect(second.code).toBe(EXIT.ok);
    const prose = out.join('\n');
    expect(prose).toMatch(/\[8\/10\] Putting your data back/);
    expect(prose).toMatch(/\[9\/10\] Choose a new passcode/);
    expect(prose).toMatch(/\[10\/10\] Done/);
    expect(questions).toEqual(['Press Enter: I have set a new passcode. ']);
    expect(drawn).toMatch(/[░█] *\d+%/);
  }, 300_000);

  it('names the problem when no phone fits --phone', async () => {
    const out: string[] = [];
    const code = await runCli(['--demo', '--json', 'rescue', '--phone', 'ph-000000000000'], {
      out: (text) => out.push(text),
      err: () => undefined,
    });
    expect(code).toBe(EXIT.noDevice);
    expect(JSON.parse(out.join(''))).toMatchObject({ error: { code: 'journey-no-phone' } });
  }, 120_000);
});
