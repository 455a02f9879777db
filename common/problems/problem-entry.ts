/**
 * One entry of the Problem catalog: what people read when something fails. `P` is the typed parameters its words
 * may use (a file name, a size, a phone's model); `renderProblem` in catalog.ts is the only place they are put in.
 */
export type ProblemEntry<P = void> = {
  title: string | ((params: P) => string);
  detail: string | ((params: P) => string);
  nextSteps: readonly string[] | ((params: P) => readonly string[]);
  /** A page on Apple's support site (or another https page) that helps with this problem. */
  helpUrl?: string;
  /** Phantom: carries P for the type of `new ProblemError(code, params)`. Never set. */
  readonly params?: (params: P) => void;
};

/** Declares an entry whose words take parameters `P` (none by default). */
export function entry<P = void>(value: Omit<ProblemEntry<P>, 'params'>): ProblemEntry<P> {
  return value;
}

/** Sizes in the words people read: "1.2 GB", "340 MB". */
export function formatBytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.ceil(bytes / 1e6)} MB`;
}

/** The last part of a path: problems name a file, not where this computer keeps it. */
export function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

/** A list in plain words: "a", "a and b", "a, b and c". */
export function wordList(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The last step when nothing else helped: what support needs and where it comes from (the app's footer, or the CLI). */
export const IF_IT_KEEPS_HAPPENING =
  'If it keeps happening, save a diagnostics file (“Export diagnostics” at the bottom of Lifeline’s window, or `lifeline diagnostics export`) and send it to support with a note of what you did just before.';

/** Apple's support pages the catalog links to. */
export const APPLE_HELP = {
  restoreErrors: 'https://support.apple.com/en-us/HT201444',
  recoveryMode: 'https://support.apple.com/en-us/HT201263',
  forgotPasscode: 'https://support.apple.com/en-us/118430',
  trustComputer: 'https://support.apple.com/en-us/HT202778',
  forceRestart: 'https://support.apple.com/guide/iphone/force-restart-iphone-iph8903c3ee6/ios',
  activationLock: 'https://support.apple.com/en-us/HT201441',
  encryptedBackups: 'https://support.apple.com/en-us/HT205220',
} as const;
