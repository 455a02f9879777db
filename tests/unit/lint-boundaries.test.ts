import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function ruleIds(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result!.messages.map((m) => m.ruleId ?? m.message);
}

describe('architecture boundaries are enforced by lint', () => {
  it('refuses electron outside main/app', async () => {
    expect(await ruleIds('main/devices/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toContain(
      'no-restricted-imports',
    );
  });

  it('lets main/app import electron but not raw ipcMain outside the typed wrapper', async () => {
    expect(await ruleIds('main/app/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).not.toContain(
      'no-restricted-imports',
    );
    expect(await ruleIds('main/app/x.ts', "import { ipcMain } from 'electron';\nexport const a = ipcMain;\n")).toContain(
      'no-restricted-imports',
    );
    expect(await ruleIds('main/app/ipc.ts', "import { ipcMain } from 'electron';\nexport const a = ipcMain;\n")).not.toContain(
      'no-restricted-imports',
    );
  });

  it('keeps the renderer away from electron, node:* and main/', async () => {
    for (const source of [
      "import { ipcRenderer } from 'electron';",
      "import fs from 'node:fs';",
      "import { Engine } from '../main/rescue/engine';",
    ]) {
      expect(
        await ruleIds('renderer/x.ts', `${source}\nexport const used = [${source.match(/import \{?\s*(\w+)/)![1]}];\n`),
        source,
      ).toContain('no-restricted-imports');
    }
  });

  it('refuses an expect that only runs under a condition in a test (if, ?:, &&, catch)', async () => {
    const head = "import { expect, it } from 'vitest';\ndeclare const answer: number | undefined;\n";
    const planted = [
      "it('x', () => {\n  if (answer) expect(answer).toBe(1);\n});\n",
      "it('x', () => {\n  answer ? expect(answer).toBe(1) : undefined;\n});\n",
      "it('x', () => {\n  answer && expect(answer).toBe(1);\n});\n",
      "it('x', () => {\n  try {\n    JSON.parse('');\n  } catch (error) {\n    expect(error).toBeInstanceOf(SyntaxError);\n  }\n});\n",
    ];
    for (const body of planted) expect(await ruleIds('tests/unit/x.test.ts', head + body), body).toContain('vitest/no-conditional-expect');
    expect(await ruleIds('tests/unit/x.test.ts', `${head}it('x', () => {\n  expect(answer).toBe(1);\n});\n`)).not.toContain(
      'vitest/no-conditional-expect',
    );
  });

  it('flags default exports', async () => {
    expect(await ruleIds('main/x.ts', 'export default 1;\n')).toContain('no-restricted-syntax');
  });
});
