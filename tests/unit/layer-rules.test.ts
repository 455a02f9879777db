import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cruise, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The layer rules of .dependency-cruiser.cjs (docs/ARCHITECTURE.md#layers-are-lint-rules), each shown to fail on a
 * violation planted in a scratch tree laid out like the repository.
 */
const root = path.resolve(import.meta.dirname, '../..');
const config = createRequire(import.meta.url)(path.join(root, '.dependency-cruiser.cjs')) as { forbidden: IForbiddenRuleType[] };

type Plant = { from: string; source: string; files?: Record<string, string> };

/** Importing `to` from `from`, both repository-relative; `dynamic` uses import(). */
function importOf(from: string, to: string, kind: 'static' | 'type' | 'dynamic' = 'static'): Plant {
  let specifier = path.posix.relative(path.posix.dirname(from), to).replace(/\.ts$/, '');
  if (!specifier.startsWith('.')) specifier = `./${specifier}`;
  const source =
    kind === 'dynamic'
      ? `export const load = () => import('${specifier}');\n`
      : kind === 'type'
        ? `import type { Thing } from '${specifier}';\nexport type Used = Thing;\n`
        : `import { thing } from '${specifier}';\nexport const used = thing;\n`;
  return { from, source, files: { [to]: 'export const thing = 1;\nexport type Thing = number;\n' } };
}

const handWritten: Record<string, Plant> = {
  'no-cycles': {
    from: 'main/backup/a.ts',
    source: "import type { B } from './b';\nexport type A = B | 1;\n",
    files: { 'main/backup/b.ts': "import type { A } from './a';\nexport type B = A | 2;\n" },
  },
  'common-is-the-floor': importOf('common/x.ts', 'main/backup/y.ts'),
  'protocols-stay-low': importOf('main/usbmux/x.ts', 'main/backup/y.ts', 'type'),
  'domains-below-the-engine': importOf('main/devices/x.ts', 'main/rescue/engine.ts', 'type'),
  'engine-below-transports': importOf('main/rescue/x.ts', 'main/transport/y.ts'),
  'transports-below-shells': importOf('main/transport/x.ts', 'main/cli/y.ts'),
  'sim-only-lazily': importOf('main/rescue/create-engine.ts', 'main/sim/practice-host.ts'),
  'sim-is-not-a-library': importOf('main/sim/x.ts', 'main/rescue/engine.ts'),
  'renderer-talks-to-the-contract': importOf('renderer/x.ts', 'main/backup/y.ts'),
  'electron-only-in-app': {
    from: 'main/devices/x.ts',
    source: "import { app } from 'electron';\nexport const a = app;\n",
    files: {
      'node_modules/electron/package.json': '{"name":"electron","main":"index.js"}',
      'node_modules/electron/index.js': 'module.exports = {};\n',
    },
  },
};

/** An ordering rule forbids main/<name>/ to import any later sibling: plant an import of the next one. */
function plantFor(rule: IForbiddenRuleType): Plant {
  const planted = handWritten[rule.name!];
  if (planted) return planted;
  const from = /^\^main\/([\w-]+)\/$/.exec(String(rule.from.path))?.[1];
  const to = /^\^main\/\(([\w-]+)[|)]/.exec(String('to' in rule ? rule.to.path : ''))?.[1];
  if (!from || !to) throw new Error(`No planted violation for rule ${rule.name}`);
  return importOf(`main/${from}/x.ts`, `main/${to}/y.ts`, 'type');
}

let scratch: string;

async function violationsOf(plant: Plant): Promise<string[]> {
  const tree = await mkdtemp(path.join(scratch, 'tree-'));
  for (const [file, text] of Object.entries({ ...plant.files, [plant.from]: plant.source })) {
    await mkdir(path.join(tree, path.dirname(file)), { recursive: true });
    await writeFile(path.join(tree, file), text);
  }
  const cwd = process.cwd();
  process.chdir(tree);
  try {
    const result = await cruise(
      ['main', 'common', 'renderer'].filter((dir) =>
        Object.keys({ ...plant.files, [plant.from]: '' }).some((f) => f.startsWith(`${dir}/`)),
      ),
      {
        validate: true,
        ruleSet: { forbidden: config.forbidden },
        tsPreCompilationDeps: true,
        doNotFollow: { path: 'node_modules' },
        outputType: 'json',
      },
    );
    const output = JSON.parse(result.output as string) as ICruiseResult;
    return output.summary.violations.map((violation) => violation.rule.name);
  } finally {
    process.chdir(cwd);
  }
}

describe('the layer rules of docs/ARCHITECTURE.md', () => {
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'lifeline-layers-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it.each(config.forbidden.map((rule) => [rule.name!, rule] as const))('%s fails on a planted violation', async (name, rule) => {
    expect(await violationsOf(plantFor(rule))).toContain(name);
  });

  it('lets the engine load the practice host lazily with import()', async () => {
    expect(await violationsOf(importOf('main/rescue/create-engine.ts', 'main/sim/practice-host.ts', 'dynamic'))).toEqual([]);
  });

  it('lets a protocol import an earlier one, and a domain a protocol', async () => {
    expect(await violationsOf(importOf('main/lockdown/x.ts', 'main/usbmux/y.ts'))).toEqual([]);
    expect(await violationsOf(importOf('main/backup/x.ts', 'main/lockdown/y.ts'))).toEqual([]);
  });
});
