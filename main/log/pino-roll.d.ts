/** The part of pino-roll Lifeline uses (the package ships no types): a size-rotated SonicBoom file stream. */
declare module 'pino-roll' {
  import type { DestinationStream } from 'pino';

  export type PinoRollOptions = {
    file: string;
    size?: string | number;
    extension?: string;
    mkdir?: boolean;
    mode?: number;
    sync?: boolean;
    limit?: { count: number; removeOtherLogFiles?: boolean };
  };
  export type PinoRollStream = DestinationStream & {
    flushSync(): void;
    end(): void;
    on(event: 'close' | 'error' | 'cleanup-complete', listener: (...args: unknown[]) => void): unknown;
    once(event: 'close' | 'error' | 'cleanup-complete' | 'ready', listener: (...args: unknown[]) => void): unknown;
  };
  const pinoRoll: (options: PinoRollOptions) => Promise<PinoRollStream>;
  // eslint-disable-next-line no-restricted-syntax -- describes the package's own default export
  export default pinoRoll;
}
