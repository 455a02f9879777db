/** A terminal's input as raw mode needs it (process.stdin when it is a TTY). */
export type RawInput = NodeJS.EventEmitter & {
  isTTY?: boolean;
  setRawMode(raw: boolean): unknown;
  resume(): unknown;
  pause(): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
};

const MAX_SECRET_CHARS = 4096;

/** Someone pressed Ctrl+C at a password prompt. */
export class PromptCancelledError extends Error {
  constructor() {
    super('Cancelled at the prompt');
    this.name = 'PromptCancelledError';
  }
}

/**
 * Reads one line from a terminal without echoing it (a password): raw mode, Backspace edits, Enter ends, Ctrl+C
 * cancels, Ctrl+D ends early. The typed characters are never written anywhere; only the question and a newline are.
 */
export function readHiddenLine(input: RawInput, write: (text: string) => void, question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error?: Error): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string | Buffer): void => {
      for (const char of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new PromptCancelledError());
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else if (char >= ' ' && typed.length < MAX_SECRET_CHARS) typed += char;
      }
    };
    write(question);
    input.setEncoding('utf8');
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
  });
}
