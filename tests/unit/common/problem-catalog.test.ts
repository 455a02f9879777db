import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProblemSchema } from '../../../common/api';
import { PROBLEM_CATALOG, isProblemCode, renderProblem, type ProblemCode, type ProblemParams } from '../../../common/problems/catalog';
import { ProblemError } from '../../../common/problems/problem-error';
import { problemForRestoreError } from '../../../common/problems/restore-error-problem';
import { RESTORE_ERROR_NUMBERS } from '../../../common/problems/restore-errors';

const root = path.resolve(import.meta.dirname, '../../..');

function sourcesUnder(folder: string): { file: string; text: string }[] {
  return readdirSync(path.join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !path.join(entry.parentPath, entry.name).includes('node_modules'))
    .map((entry) => {
      const file = path.relative(root, path.join(entry.parentPath, entry.name));
      return { file, text: readFileSync(path.join(root, file), 'utf8') };
    });
}

const main = sourcesUnder('main');
const shown = [...main, ...sourcesUnder('renderer')];
const codes = Object.keys(PROBLEM_CATALOG) as ProblemCode[];

type NeedsParams = { [C in ProblemCode as void extends ProblemParams<C> ? never : C]: ProblemParams<C> };
type MayTakeParams = { [C in ProblemCode as void extends ProblemParams<C> ? C : never]?: Exclude<ProblemParams<C>, void> };

/** One set of parameters per entry that needs them (the compiler insists on every one), to render it for the checks. */
const SAMPLES: NeedsParams & MayTakeParams = {
  internal: { message: 'the parser gave up' },
  'bad-request': { command: 'backup.start', issue: 'udid: not a UDID' },
  'unknown-command': { command: 'shell.exec' },
  'unknown-event': { event: 'secrets' },
  'engine-stopped': { reason: 'The engine process stopped (signal SIGKILL).' },
  'engine-unavailable': { reason: 'The engine process stopped three times in a row.' },
  'engine-answer-invalid': { issue: 'value: expected an array' },
  'job-interrupted': { jobTitle: 'Back up iPhone', kind: 'backup', reason: 'The engine process stopped.' },
  usage: { option: 'goal', allowed: ['recovery', 'dfu-manual'] },
  'usb-unavailable': { purpose: 'restore' },
  'usb-blocked': { hostDetail: 'No USB access for this user.', hostFix: 'Add the udev rule, then plug the phone in again.' },
  'usbip-address': { address: 'nowhere', variable: 'LIFELINE_USBIP' },
  'diagnostics-write-failed': { path: '/home/anna/Desktop/lifeline-diagnostics.zip', reason: 'EACCES: permission denied' },
  'journey-action-not-now': { action: 'confirmErase', state: 'choosing' },
  'journey-confirmation-mismatch': { phrase: 'erase' },
  'journey-phone-missing': { waitedSeconds: 60 },
  'pair-no-answer': { waitedSeconds: 300 },
  'restore-phone-not-activated': { waitedSeconds: 1800 },
  'journey-save-set-aside': { file: 'ph-0123456789ab.json', reason: 'not JSON' },
  'no-such-practice-phone': { phoneId: 'practice-9' },
  'phone-not-found': { phoneId: '…3F2A1C' },
  'phone-invalid-identity': { reported: '"../../etc"' },
  'backup-wrong-mode': { mode: 'recovery' },
  'backup-needs-passcode': { sinceVersion: '16.1' },
  'unknown-model': { productType: 'iPhone99,9' },
  'model-unknown': { modelName: 'iPhone' },
  'needs-recovery': { trusted: false },
  'phone-not-connected': { connected: ['iPhone 8 […3F2A1C]'] },
  'not-back': { goal: 'normal' },
  'unexpected-mode': { goal: 'recovery', mode: 'normal' },
  'not-in-recovery': { mode: 'dfu' },
  'ambiguous-phone': { connected: ['iPhone 8 […3F2A1C]', 'iPhone 8 […0B7E21]'] },
  'no-such-phone': { connected: [] },
  'which-phone': { connected: ['iPhone 8 […3F2A1C]', 'iPhone X […0B7E21]'] },
  'backup-folder-error': { folder: '/backups' },
  'backup-no-phone': { wanted: 'ph-1234' },
  'backup-ambiguous-phone': { wanted: '3F' },
  'backup-disk-full': { freeBytes: 2e9, neededBytes: 40e9, phoneBytes: 39.9e9 },
  'firmware-unknown-model': { productType: 'iPhone99,9' },
  'firmware-model-not-identified': { modelName: 'iPhone' },
  'firmware-not-listed': { productType: 'iPhone6,1' },
  'firmware-none-signed': { productType: 'iPhone6,1', listed: 12 },
  'firmware-no-hash': { version: '12.5.7', build: '16H81' },
  'firmware-unverified': { file: '/Downloads/iPhone_4.0_64bit_12.5.7_16H81_Restore.ipsw' },
  'ipsw-hash-mismatch': { file: '/Downloads/x.ipsw', version: '12.5.7', build: '16H81' },
  'firmware-changed-on-disk': { file: '/cache/ipsw/x.ipsw' },
  'firmware-server-range': { host: 'updates.cdn-apple.com' },
  'firmware-network': { keptBytes: 1.5e9 },
  'firmware-hash-mismatch': { file: '/cache/ipsw/x.ipsw' },
  'disk-full': { neededBytes: 3e9, freeBytes: 1e9, folder: '/cache/ipsw' },
  'firmware-not-found': { host: 'updates.cdn-apple.com', status: 404, file: '/x.ipsw' },
  'firmware-server': { host: 'updates.cdn-apple.com', status: 418 },
  'firmware-size-mismatch': { host: 'updates.cdn-apple.com', sentBytes: 10, expectedBytes: 20 },
  'firmware-blocked-url': { host: 'evil.example' },
  'firmware-too-large': { host: 'updates.cdn-apple.com', capBytes: 20e9 },
  'ipsw-unreadable': { file: '/Downloads/notes.txt' },
  'build-manifest-invalid': { file: '/Downloads/x.ipsw' },
  'ipsw-wrong-phone': { productType: 'iPhone7,2', version: '12.5.7', build: '16H81', fitsModels: ['iPhone6,1', 'iPhone6,2'] },
  'restore-no-phone': { wanted: 'ph-1234' },
  'restore-which-phone': { wanted: '3F' },
  'restore-until': { until: 'done' },
  'restore-not-confirmed': { choice: 'erase' },
  'restore-no-update': { version: '12.5.7' },
  'restore-disconnected': { stage: 'installing' },
  'restore-phone-crashed': { stage: 'flashing' },
  'restore-data': { stage: 'installing' },
  'restore-wrong-firmware': { stage: 'iBSS' },
  'restore-not-signed': { stage: 'ticket' },
  'restore-signing-server': { stage: 'ticket' },
  'restore-nonce-changed': { stage: 'iBEC' },
  'restore-image-rejected': { stage: 'iBSS' },
  'restore-did-not-reenumerate': { stage: 'iBSS' },
  'restore-restore-mode-missing': { stage: 'ramdisk' },
  'restore-usb': { stage: 'iBEC' },
  'restore-error-unknown': { number: 1234 },
  'restore-backup-not-found': { wanted: 'bk-1' },
  'restore-backup-ambiguous': { wanted: 'bk' },
  'restore-backup-newer-ios': { backupIos: '17.2', phoneIos: '16.7' },
  'restore-password-file': { reason: 'it is empty' },
  'restore-phone-error': { reason: 'MBErrorDomain 1' },
  'erase-backup-password-unknown': { newBackup: 'not-now', reason: 'The phone does not trust this computer.' },
};

/** Entries whose parameters are optional: rendered both with their sample and without. */
const OPTIONAL_PARAMS: readonly (keyof MayTakeParams)[] = [
  'phone-invalid-identity',
  'backup-folder-error',
  'backup-no-phone',
  'backup-disk-full',
  'build-manifest-invalid',
  'restore-no-phone',
  'restore-which-phone',
];

/** Every way an entry is rendered here: with its sample when it has one, without parameters when it takes none or they are optional. */
function renderings(code: ProblemCode) {
  const render = renderProblem as (code: ProblemCode, params?: unknown) => ReturnType<typeof renderProblem>;
  const sample = (SAMPLES as Record<string, unknown>)[code];
  const bare = sample === undefined || (OPTIONAL_PARAMS as readonly string[]).includes(code);
  return [...(sample !== undefined ? [render(code, sample)] : []), ...(bare ? [render(code)] : [])];
}

/** The code literals in `text` passed as the first argument of a ProblemError or renderProblem (a ternary's codes included). */
function thrownCodes(text: string): string[] {
  const found: string[] = [];
  for (const call of text.matchAll(/(?:new ProblemError|renderProblem|refusal)\(\s*((?:[^,()]|\([^()]*\))*)/g)) {
    for (const literal of call[1]!.matchAll(/'([^']*)'/g)) found.push(literal[1]!);
  }
  return found;
}

describe('the Problem catalog', () => {
  it('holds every code thrown in main/ (new ProblemError, renderProblem and triage refusals), and main/ builds no Problem by hand', () => {
    const thrown = main.flatMap(({ file, text }) => thrownCodes(text).map((code) => ({ file, code })));
    expect(thrown.length).toBeGreaterThan(100);
    expect(thrown.filter(({ code }) => !isProblemCode(code))).toEqual([]);
    const handMade = main.filter(
      ({ text }) => /\bcode:\s*['`][^'`]*['`],\s*(\n\s*)?title:/.test(text) || /new ProblemError\(\s*\{/.test(text),
    );
    expect(handMade.map(({ file }) => file)).toEqual([]);
  });

  it('has no entry nobody can reach: each code is named in main/ or renderer/, restore error numbers through problemForRestoreError', () => {
    const named = (code: string): boolean => shown.some(({ text }) => text.includes(`'${code}'`) || text.includes(`"${code}"`));
    expect(codes.filter((code) => !code.startsWith('restore-error-') && !named(code))).toEqual([]);
    const reached = new Set([...RESTORE_ERROR_NUMBERS, 7, 99999, -5, 1.5].map((number) => problemForRestoreError(number).code));
    expect(codes.filter((code) => code.startsWith('restore-error-') && !reached.has(code))).toEqual([]);
  });

  it('renders every entry well-formed: a title and detail, next steps that are sentences, help links on https', () => {
    for (const code of codes) {
      const rendered = renderings(code);
      expect(rendered.length, code).toBeGreaterThan(0);
      for (const problem of rendered) {
        expect(ProblemSchema.parse(problem), code).toEqual(problem);
        expect(problem.code).toBe(code);
        expect(problem.title.trim().length, code).toBeGreaterThan(3);
        expect(problem.detail.trim().length, code).toBeGreaterThan(3);
        for (const step of problem.nextSteps) expect(step, code).toMatch(/^[A-Z`“"(].*[.?!)`]$/s);
        expect(problem.helpUrl === undefined || /^https:\/\/[a-z0-9.-]+\/\S*$/.test(problem.helpUrl), `${code}: ${problem.helpUrl}`).toBe(
          true,
        );
        expect(JSON.stringify(problem), code).not.toMatch(/undefined|NaN|\[object Object\]|export the log|Help menu/);
      }
    }
  });

  it('gives Apple’s restore error numbers plain words, next steps and Apple’s article, and a general entry for numbers it does not know', () => {
    for (const number of [
      1, 2, 3, 4, 6, 9, 10, 14, 17, 20, 21, 27, 40, 45, 53, 1015, 1100, 1110, 1667, 1669, 2001, 2002, 2005, 2009, 3004, 3014, 3194, 3503,
      4005, 4013, 4014, 4037,
    ]) {
      const { problem } = problemForRestoreError(number);
      expect(problem, String(number)).toMatchObject({
        code: `restore-error-${number}`,
        title: expect.stringContaining(`(error ${number})`),
        helpUrl: expect.stringMatching(/^https:\/\/support\.apple\.com\//),
      });
      expect(problem.nextSteps.length, String(number)).toBeGreaterThan(0);
    }
    expect(problemForRestoreError(4013).problem.title).toMatch(/stopped talking to the computer/);
    expect(problemForRestoreError(3194).problem.detail).toMatch(/signing server/);
    const cause = new Error('StatusMsg 77');
    const unknown = problemForRestoreError(77, { cause });
    expect(unknown).toMatchObject({ code: 'restore-error-unknown', cause, problem: { title: 'The restore stopped with error 77' } });
    expect(problemForRestoreError(Number.NaN).problem.title).toBe('The restore stopped with error -1');
  });

  it('keeps the technical cause off what people see, and forwards a rendered Problem unchanged', () => {
    const cause = new Error('ECONNRESET at tls.js:123');
    const error = new ProblemError('backup-phone-disconnected', undefined, { cause });
    expect(error).toMatchObject({ code: 'backup-phone-disconnected', cause });
    expect(JSON.stringify(error.problem)).not.toContain('ECONNRESET');
    const forwarded = ProblemError.forward(error.problem);
    expect(forwarded.problem).toEqual(error.problem);
    expect(forwarded.code).toBe('backup-phone-disconnected');
  });
});
