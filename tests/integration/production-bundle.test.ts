import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveConfig } from 'electron-vite';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The app's production main-process bundle, built from electron.vite.config.ts into a scratch folder: a real run never
 * loads the virtual phones, which arrive only through the practice host's lazy import() behind --demo.
 */
const root = path.resolve(import.meta.dirname, '../..');
const ENTRIES = ['index.js', 'engine-host.js'];
/** Things only main/sim/ defines, matched where the bundle defines them (`class X`, `var X = class`, `function X`). */
const SIMULATOR_MARKERS = ['FakeUsbmuxd', 'VirtualIphone', 'startFakeTssServer', 'startPracticeHost'].map(
  (name) => new RegExp(`\\b(?:class|function\\*?) ${name}\\b|\\b${name} = class\\b`),
);

let outDir: string;
let files: Map<string, string>;

beforeAll(async () => {
  outDir = await mkdtemp(path.join(tmpdir(), 'lifeline-bundle-'));
  const previousNodeEnv = process.env.NODE_ENV;
  try {
    const { config } = await resolveConfig({ root, build: { outDir }, logLevel: 'warn' }, 'build', 'production');
    if (!config?.main) throw new Error('electron.vite.config.ts has no main section');
    await build({ ...config.main, logLevel: 'warn' });
  } finally {
    process.env.NODE_ENV = previousNodeEnv;
  }
  const mainDir = path.join(outDir, 'main');
  const names = (await readdir(mainDir, { recursive: true })).filter((name) => name.endsWith('.js'));
  files = new Map(
    await Promise.all(
      names.map(async (name) => [name.split(path.sep).join('/'), await readFile(path.join(mainDir, name), 'utf8')] as const),
    ),
  );
}, 60_000);

afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

/** Relative module specifiers a chunk imports, split into static imports and lazy import() calls. */
function importsOf(file: string): { static: string[]; lazy: string[] } {
  const source = files.get(file) ?? '';
  const resolveFrom = (specifier: string): string => path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
  const staticSpecifiers = [...source.matchAll(/\b(?:from|import)\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => resolveFrom(m[1] ?? ''));
  const lazySpecifiers = [...source.matchAll(/\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)].map((m) => resolveFrom(m[1] ?? ''));
  return { static: staticSpecifiers, lazy: lazySpecifiers };
}

/** Every chunk loaded with `starts`, following static imports only. */
function staticallyLoaded(starts: readonly string[] = ENTRIES): Set<string> {
  const seen = new Set<string>();
  const queue = [...starts];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...importsOf(file).static);
  }
  return seen;
}

const markersIn = (file: string): string[] => SIMULATOR_MARKERS.filter((marker) => marker.test(files.get(file) ?? '')).map(String);

describe('the production main bundle', () => {
  it('builds both entries into the scratch folder', () => {
    for (const entry of ENTRIES) expect([...files.keys()]).toContain(entry);
  });

  it('loads no simulator code until practice mode asks for it', () => {
    const loaded = [...staticallyLoaded()];
    expect(loaded.filter((file) => !files.has(file))).toEqual([]);
    expect(loaded.flatMap((file) => markersIn(file).map((marker) => `${file}: ${marker}`))).toEqual([]);
  });

  it('keeps the virtual phones in chunks the engine loads lazily', () => {
    const loaded = staticallyLoaded();
    const lazyChunks = [...loaded].flatMap((file) => importsOf(file).lazy).filter((file) => !loaded.has(file));
    const lazilyLoaded = [...staticallyLoaded(lazyChunks)].filter((file) => !loaded.has(file));
    const found = new Set(lazilyLoaded.flatMap(markersIn));
    expect([...found].sort()).toEqual(SIMULATOR_MARKERS.map(String).sort());
  });
});
