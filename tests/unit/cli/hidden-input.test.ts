import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { PromptCancelledError, readHiddenLine, type RawInput } from '../../../main/cli/hidden-input';

function fakeTerminal(): RawInput & { raw: boolean[]; type(text: string): void } {
  const input = Object.assign(new EventEmitter(), {
    isTTY: true,
    raw: [] as boolean[],
    setRawMode(raw: boolean) {
      input.raw.push(raw);
      return input;
    },
    resume: () => input,
    pause: () => input,
    setEncoding: () => input,
    type(text: string) {
      input.emit('data', text);
    },
  });
  return input;
}

describe('readHiddenLine (password prompt)', () => {
  it('reads a line in raw mode, honours Backspace, and writes only the question and a newline', async () => {
    const terminal = fakeTerminal();
    const written: string[] = [];
    const answer = readHiddenLine(terminal, (t) => written.push(t), 'Backup password: ');
    terminal.type('se');
    terminal.type('cx\u007fret');
    terminal.type('\r');
    expect(await answer).toBe('secret');
    expect(written).toEqual(['Backup password: ', '\n']);
    expect(terminal.raw).toEqual([true, false]);
    expect(terminal.listenerCount('data')).toBe(0);
  });

  it('cancels on Ctrl+C and leaves raw mode', async () => {
    const terminal = fakeTerminal();
    const answer = readHiddenLine(terminal, () => undefined, '? ');
    terminal.type('abc\u0003');
    await expect(answer).rejects.toBeInstanceOf(PromptCancelledError);
    expect(terminal.raw).toEqual([true, false]);
  });
});
