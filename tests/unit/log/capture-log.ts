import { Writable } from 'node:stream';
import { logTo } from '../../../main/log/log';

/** The lines pino writes, captured. */
export function captureLog(): { lines: () => Record<string, unknown>[]; text: () => string; stop: () => void } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const stop = logTo(stream, 'engine');
  const text = () => chunks.join('');
  return {
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    stop,
  };
}
