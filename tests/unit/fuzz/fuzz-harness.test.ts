import { describe, expect, it } from 'vitest';
import { checkParser, type ParserUnderFuzz } from './fuzz-harness';

class ToyError extends Error {}

const input = Buffer.from('toy input');

describe('the fuzz harness', () => {
  it('accepts a value and a typed error', async () => {
    const ok: ParserUnderFuzz = { name: 'ok', parse: (bytes) => bytes.length, typedErrors: [ToyError] };
    const refuses: ParserUnderFuzz = {
      name: 'refuses',
      parse: () => {
        throw new ToyError('no');
      },
      typedErrors: [ToyError],
    };
    await expect(checkParser(ok, input)).resolves.toEqual({ kind: 'value', value: input.length });
    await expect(checkParser(refuses, input)).resolves.toMatchObject({ kind: 'typed-error' });
  });

  it('flags an untyped crash', async () => {
    const crashes: ParserUnderFuzz = { name: 'crashes', parse: (bytes) => Buffer.from(bytes).readUInt32BE(100), typedErrors: [ToyError] };
    await expect(checkParser(crashes, input)).rejects.toThrow(/untyped error \(RangeError/);
  });

  it('flags a parser that holds far more than its input', async () => {
    const expands: ParserUnderFuzz = { name: 'expands', parse: () => Array.from({ length: 200_000 }, () => [0]), typedErrors: [] };
    await expect(checkParser(expands, input)).rejects.toThrow(/holds .* after parsing/);
  });

  it('flags a parser that allocates what the wire claims before checking it', async () => {
    const trusting: ParserUnderFuzz = {
      name: 'trusting',
      parse: () => {
        Buffer.alloc(256 * 1024 * 1024);
        throw new ToyError('too short after all');
      },
      typedErrors: [ToyError],
    };
    await expect(checkParser(trusting, input)).rejects.toThrow(/touched .* while parsing/);
  });

  it('flags a parser that never settles', async () => {
    const hangs: ParserUnderFuzz = { name: 'hangs', parse: () => new Promise(() => undefined), typedErrors: [] };
    await expect(checkParser(hangs, input, { settleMs: 20 })).rejects.toThrow(/did not settle/);
  });
});
