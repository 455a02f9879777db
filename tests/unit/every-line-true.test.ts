/**
 * Every line people read names things that exist: each `lifeline <command> [<sub>] [--option]` in a Problem, the coach's
 * advice, the README and docs, the renderer's words or a CLI help string is a command (and option) of the program
 * main/cli.ts builds; each file a hint names is in the repository or in the package electron-builder.yml builds; each
 * app label a message sends people to is on screen.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { PROBLEM_CATALOG } from '../../common/problems/catalog';
import type { ProblemEntry } from '../../common/problems/problem-entry';
import { buildCliProgram } from '../../main/cli';
import { hostChecks } from '../../main/coach/outcome-advice';
import { LINUX_UDEV_FIX } from '../../main/usb/linux-udev-rule';
import { WINDOWS_DRIVER_FIX } from '../../main/usb/node-usb-bus';

const root = path.resolve(import.meta.dirname, '../..');

type Text = { where: string; text: string };

function filesUnder(folder: string, extensions: readonly string[]): string[] {
  const found: string[] = [];
  for (const name of readdirSync(path.join(root, folder))) {
    const relative = path.posix.join(folder, name);
    // The virtual phone's own tool (`npm run sim`) is not the lifeline command line.
    if (relative === 'main/sim' || name === 'node_modules') continue;
    if (statSync(path.join(root, relative)).isDirectory()) found.push(...filesUnder(relative, extensions));
    else if (extensions.some((extension) => name.endsWith(extension))) found.push(relative);
  }
  return found;
}

/** The words as written in the source: messages, help strings, README and docs. */
function sourceTexts(): Text[] {
  const files = [
    'README.md',
    ...filesUnder('docs', ['.md']),
    ...filesUnder('common', ['.ts']),
    ...filesUnder('main', ['.ts']),
    ...filesUnder('renderer', ['.ts', '.tsx']),
    ...filesUnder('preload', ['.ts']),
  ];
  return files.map((file) => ({ where: file, text: readFileSync(path.join(root, file), 'utf8') }));
}

/** A stand-in for any parameter: every field is a short string, so most entries render their words around it. */
const anyParams = new Proxy({}, { get: (_target, key) => (typeof key === 'string' ? 'x' : undefined) });

function renderField(field: string | readonly string[] | ((params: unknown) => string | readonly string[])): string[] {
  if (typeof field !== 'function') return typeof field === 'string' ? [field] : [...field];
  const out: string[] = [];
  for (const params of [undefined, anyParams]) {
    try {
      const value = field(params);
      out.push(...(typeof value === 'string' ? [value] : value));
    } catch {
      // This entry needs real parameters; its literal words are still read from the source.
    }
  }
  return out;
}

/** The words as people get them, where constants and parameters build them: the catalog, host checks, fix texts, CLI help. */
function renderedTexts(program: Command): Text[] {
  const texts: Text[] = [];
  for (const [code, entry] of Object.entries(PROBLEM_CATALOG) as Array<[string, ProblemEntry<unknown>]>) {
    const words = [...renderField(entry.title), ...renderField(entry.detail), ...renderField(entry.nextSteps)];
    texts.push({ where: `problem ${code}`, text: words.join('\n') });
  }
  for (const platform of ['linux', 'darwin', 'win32']) {
    for (const check of hostChecks(platform, 'iPhone10,3'))
      texts.push({ where: `host check ${platform}/${check.id}`, text: `${check.title}\n${check.detail}` });
  }
  texts.push({ where: 'LINUX_UDEV_FIX', text: LINUX_UDEV_FIX }, { where: 'WINDOWS_DRIVER_FIX', text: WINDOWS_DRIVER_FIX });
  const walk = (command: Command, name: string): void => {
    texts.push({ where: `help of ${name}`, text: command.helpInformation() });
    for (const sub of command.commands) walk(sub, `${name} ${sub.name()}`);
  };
  walk(program, 'lifeline');
  return texts;
}

function cliProgram(): Command {
  return buildCliProgram(
    { signal: new AbortController().signal, withEngine: async () => undefined },
    { out: () => undefined, err: () => undefined },
  );
}

// ── commands ────────────────────────────────────────────────────────────────

/** `lifeline` as the command, not inside a name (`app://lifeline`, `lifeline-sim-…`) or a word. */
const COMMAND_START = /(?<![\w/.@'"-])lifeline +(?=[a-z[-])/g;
/** Where a command written in a sentence ends. */
const COMMAND_END = /[`'"“”()\n;]| — |[.,:!?](?=\s|$)/;

function optionNames(command: Command): Set<string> {
  const names = new Set(['--help', '-h']);
  for (let at: Command | null = command; at; at = at.parent) {
    for (const option of at.options) {
      if (option.long) names.add(option.long);
      if (option.short) names.add(option.short);
      if (option.negate && option.long) names.add(option.long);
    }
  }
  return names;
}

function find(parent: Command, name: string): Command | undefined {
  return parent.commands.find((c) => c.name() === name || c.aliases().includes(name));
}

/** Each `lifeline …` written in `text` that the program does not have, as "where: what is wrong". */
export function missingCommands(program: Command, texts: readonly Text[]): string[] {
  const wrong: string[] = [];
  const globals = optionNames(program);
  for (const { where, text } of texts) {
    for (const match of text.matchAll(COMMAND_START)) {
      const rest = text.slice(match.index + match[0].length);
      const written = rest.slice(0, rest.search(COMMAND_END) === -1 ? rest.length : rest.search(COMMAND_END));
      // `[x]` and `<x>` are placeholders (usage lines: `[options] [command]`, `<model>`); flags inside brackets still count.
      const tokens = written
        .split(/\s+/)
        .filter(Boolean)
        .map((raw) => ({ word: raw.replace(/^[[{<]+|[\]}>|]+$/g, ''), placeholder: /^[[<{]/.test(raw) }));
      const word = (at: number): string | undefined => {
        const token = tokens[at];
        return token && !token.placeholder && /^[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*$/.test(token.word) ? token.word : undefined;
      };
      const say = (why: string): void => void wrong.push(`${where}: "lifeline ${written.trim()}" — ${why}`);
      let i = 0;
      while (tokens[i]?.word.startsWith('-')) {
        const flag = tokens[i]!.word.split('=')[0]!;
        if (!globals.has(flag)) say(`no global option ${flag}`);
        const takesValue = program.options.find((o) => o.long === flag)?.required === true;
        i += takesValue && !tokens[i]!.word.includes('=') ? 2 : 1;
      }
      const name = word(i);
      if (name === undefined) continue;
      const command = find(program, name);
      if (!command) {
        say(`no command ${name}`);
        continue;
      }
      // `enter|exit` names each of them.
      let chosen: Command[] = [command];
      const next = word(i + 1);
      if (next !== undefined && command.commands.length > 0) {
        const subs = next.split('|').map((alternative) => ({ alternative, sub: find(command, alternative) }));
        if (subs.every(({ sub }) => sub)) {
          chosen = subs.map(({ sub }) => sub!);
          i += 1;
        } else if (command.registeredArguments.length === 0) {
          for (const { alternative, sub } of subs) if (!sub) say(`${name} has no subcommand ${alternative}`);
        }
      }
      for (const token of tokens.slice(i + 1)) {
        const flag = token.word.split('=')[0]!;
        if (!/^--?[a-z][a-z0-9-]*$/.test(flag)) continue;
        for (const at of chosen) if (!optionNames(at).has(flag)) say(`${at.name()} has no option ${flag}`);
      }
    }
  }
  return wrong;
}

// ── files ───────────────────────────────────────────────────────────────────

/** A repository path a hint names: under assets/, docs/ or scripts/. */
const REPO_PATH = /(?<![\w/.-])((?:assets|docs|scripts)\/[A-Za-z0-9_./-]*[A-Za-z0-9_/-])/g;
/** A system path of Lifeline's own (the package puts it there, or people are told to create it). */
const SYSTEM_PATH = /(?<![\w.-])(\/(?:usr|etc|opt|lib)\/[A-Za-z0-9_./-]*lifeline[A-Za-z0-9_./-]*[A-Za-z0-9_])/gi;

/** What the Linux package installs: electron-builder.yml's `deb.fpm` source=target pairs. */
function packagedTargets(): Map<string, string> {
  const yml = readFileSync(path.join(root, 'electron-builder.yml'), 'utf8');
  const targets = new Map<string, string>();
  for (const match of yml.matchAll(/^\s*-\s*(assets\/[^=\s]+)=(\/[^\s]+)\s*$/gm)) targets.set(match[2]!, match[1]!);
  return targets;
}

/** Each file `text` names that is neither in the repository nor in the package. */
export function missingFiles(
  texts: readonly Text[],
  exists: (repoPath: string) => boolean,
  packaged: ReadonlyMap<string, string>,
): string[] {
  const wrong: string[] = [];
  const packagedNames = new Set([...packaged.keys()].map((target) => path.posix.basename(target)));
  for (const { where, text } of texts) {
    for (const match of text.matchAll(REPO_PATH)) {
      const file = match[1]!.replace(/#.*$/, '');
      if (!exists(file)) wrong.push(`${where}: ${file} is not in the repository`);
    }
    for (const match of text.matchAll(SYSTEM_PATH)) {
      const file = match[1]!;
      // A file people create by hand under /etc overrides the packaged one of the same name.
      const ok = packaged.has(file) || (file.startsWith('/etc/') && packagedNames.has(path.posix.basename(file)));
      if (!ok) wrong.push(`${where}: ${file} is not a file Lifeline's package installs`);
    }
  }
  return wrong;
}

const inRepository = (file: string): boolean => existsSync(path.join(root, file));

// ── app labels ──────────────────────────────────────────────────────────────

/** “Label” a message sends people to in the app: it must be a label on screen. */
const APP_LABEL = /“([^”]{3,60})”(?= at the bottom of Lifeline’s window| on the phone’s card in the app|, or `lifeline)/g;

function missingLabels(texts: readonly Text[], screen: string): string[] {
  const wrong: string[] = [];
  for (const { where, text } of texts) {
    for (const match of text.matchAll(APP_LABEL)) if (!screen.includes(match[1]!)) wrong.push(`${where}: the app shows no “${match[1]}”`);
  }
  return wrong;
}

// ── the checks ──────────────────────────────────────────────────────────────

describe('every line true', () => {
  const program = cliProgram();
  const texts = [...sourceTexts(), ...renderedTexts(program)];

  it('reads the messages it is meant to: the catalog, the coach, the README, the renderer and the CLI help', () => {
    expect(texts.some((t) => t.where === 'README.md')).toBe(true);
    expect(texts.some((t) => t.where.startsWith('renderer/'))).toBe(true);
    expect(texts.filter((t) => t.where.startsWith('problem ')).length).toBe(Object.keys(PROBLEM_CATALOG).length);
    expect(texts.some((t) => t.where === 'help of lifeline restore')).toBe(true);
    const count = (pattern: RegExp): number => texts.reduce((n, t) => n + [...t.text.matchAll(pattern)].length, 0);
    expect(count(COMMAND_START)).toBeGreaterThan(40);
    expect(count(REPO_PATH)).toBeGreaterThan(20);
    expect(count(SYSTEM_PATH)).toBeGreaterThan(2);
  });

  it('names only lifeline commands, subcommands and options that exist', () => {
    expect(missingCommands(program, texts)).toEqual([]);
  });

  it('names only files that are in the repository or in the package', () => {
    expect(missingFiles(texts, inRepository, packagedTargets())).toEqual([]);
  });

  it('sends people only to app labels that are on screen', () => {
    const screen = filesUnder('renderer', ['.tsx'])
      .map((file) => readFileSync(path.join(root, file), 'utf8'))
      .join('\n');
    expect(missingLabels(texts, screen)).toEqual([]);
  });

  it('names no menu: the app has none (its Export diagnostics is a button)', () => {
    const menus = texts.filter((t) => /\b(Help|File|Edit|View|Window) menu\b|\bmenu ›/.test(t.text)).map((t) => t.where);
    expect(menus).toEqual([]);
  });
});

describe('the checks catch what they are for', () => {
  const program = cliProgram();
  const planted = (text: string): Text[] => [{ where: 'planted', text }];

  it('catches a command that does not exist, a subcommand that does not exist and an option that does not exist', () => {
    expect(missingCommands(program, planted('Put the phone into DFU mode (`lifeline coach dfu` helps).'))).toEqual([
      'planted: "lifeline coach dfu" — no command coach',
    ]);
    expect(missingCommands(program, planted('Put it in recovery (lifeline recovery helps), then try again.'))).toEqual([
      'planted: "lifeline recovery helps" — recovery has no subcommand helps',
    ]);
    expect(missingCommands(program, planted('Run `lifeline dfu-info --show-udid`.'))).toEqual([
      'planted: "lifeline dfu-info --show-udid" — dfu-info has no option --show-udid',
    ]);
  });

  it('lets real commands through, with their subcommands, options, placeholders and global options', () => {
    const fine = planted(
      [
        'Run `lifeline backups restore bk-123 --password-file F`.',
        'npx lifeline dfu-plan --device iPhone10,1 [--goal dfu-assisted|dfu-manual|recovery] [--json]',
        'Say which one with its ECID (lifeline dfu-info --show-ecid lists them).',
        '`lifeline --demo --json devices` and `lifeline diagnostics export --out FILE --yes`.',
        'Lifeline restores it; `lifeline` alone prints help; app://lifeline and lifeline-sim-x are names.',
      ].join('\n'),
    );
    expect(missingCommands(program, fine)).toEqual([]);
  });

  it('catches a file a hint names that is in neither the repository nor the package', () => {
    const packaged = packagedTargets();
    expect(
      missingFiles(
        planted(
          'Create /etc/udev/rules.d/39-lifeline.rules, or install /usr/lib/udev/rules.d/39-lifeline.rules (see assets/packaging/linux/39-lifeline.rules and docs/no-such-notes/).',
        ),
        inRepository,
        packaged,
      ),
    ).toEqual([
      'planted: assets/packaging/linux/39-lifeline.rules is not in the repository',
      'planted: docs/no-such-notes/ is not in the repository',
      "planted: /etc/udev/rules.d/39-lifeline.rules is not a file Lifeline's package installs",
      "planted: /usr/lib/udev/rules.d/39-lifeline.rules is not a file Lifeline's package installs",
    ]);
    const target = [...packaged.keys()][0]!;
    expect(
      missingFiles(
        planted(`The package installs ${target} from ${packaged.get(target)} (docs/protocols/irecv.md#host-access-per-os).`),
        inRepository,
        packaged,
      ),
    ).toEqual([]);
  });

  it('catches an app label that is not on screen', () => {
    expect(missingLabels(planted('Use “Send logs” at the bottom of Lifeline’s window.'), '<button>Export diagnostics</button>')).toEqual([
      'planted: the app shows no “Send logs”',
    ]);
  });
});
