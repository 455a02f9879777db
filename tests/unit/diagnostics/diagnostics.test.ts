import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectDiagnostics, previewOf } from '../../../main/diagnostics/diagnostics-bundle';
import { writeDiagnosticsZip } from '../../../main/diagnostics/diagnostics-zip';
import { IpswArchive } from '../../../main/ipsw/ipsw-reader';
import { collectHostFacts } from '../../../main/diagnostics/host-facts';
import { Engine } from '../../../main/rescue/engine';
import { dispatch } from '../../../main/transport/dispatcher';

const UDID = '00008101-001A2B3C4D5E6F78';
const PASSWORD = 'my-backup-password-42';
const HOME = '/home/anna';

/** Reads the zip back with the repo's own zip reader (yauzl). */
async function readZip(path: string): Promise<Map<string, string>> {
  const zip = await IpswArchive.open(path);
  try {
    const files = new Map<string, string>();
    for (const entry of zip.entries()) files.set(entry.name, (await zip.readSmall(entry.name, 1024 * 1024)).toString('utf8'));
    return files;
  } finally {
    zip.close();
  }
}

describe('diagnostics', () => {
  let root: string;
  let data: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'lifeline-diagnostics-'));
    data = join(root, 'data');
    await mkdir(join(data, 'logs'), { recursive: true });
    await mkdir(join(data, 'journeys'), { recursive: true });
    await mkdir(join(data, 'MobileSync', 'Backup', UDID), { recursive: true });
    await writeFile(join(data, 'MobileSync', 'Backup', UDID, 'Manifest.db'), 'backup contents');
    // A log an older Lifeline wrote without redaction, and the current one.
    await writeFile(join(data, 'logs', 'engine.1.log'), `{"event":"old","udid":"${UDID}","path":"${HOME}/Downloads/iPhone.ipsw"}\n`);
    await writeFile(join(data, 'logs', 'engine.2.log'), '{"event":"job.started","kind":"restore"}\n');
    await writeFile(join(data, 'logs', 'app.1.log'), '{"event":"engine.restart","reason":"signal SIGKILL"}\n');
    await writeFile(join(data, 'logs', 'notes.txt'), 'not a log of ours');
    await writeFile(
      join(data, 'journeys', 'ph-0123456789ab.json'),
      JSON.stringify({ value: 'restoring', context: { phoneId: '001A2B3C4D5E6F78', password: PASSWORD } }),
    );
    await symlink(join(data, 'MobileSync', 'Backup', UDID, 'Manifest.db'), join(data, 'journeys', 'ph-aaaaaaaaaaaa.json'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const gather = async () => {
    const facts = await collectHostFacts({ app: { name: 'Lifeline', version: '1.0.0', demo: false }, host: null, folder: data });
    return collectDiagnostics({ dataFolder: data, facts, homeDir: HOME });
  };

  it('gathers host facts, Lifeline’s logs and saved journeys — never a backup, a link or another file — all redacted', async () => {
    const entries = await gather();
    expect(entries.map((entry) => entry.name).sort()).toEqual([
      'host-facts.json',
      'journeys/ph-0123456789ab.json',
      'logs/app.1.log',
      'logs/engine.1.log',
      'logs/engine.2.log',
    ]);
    const all = entries.map((entry) => entry.text).join('\n');
    for (const secret of [UDID, '001A2B3C4D5E6F78', PASSWORD, HOME, 'backup contents']) expect(all).not.toContain(secret);
    expect(all).toContain('~/Downloads/iPhone.ipsw');
    const facts = JSON.parse(entries.find((entry) => entry.name === 'host-facts.json')!.text) as Record<string, Record<string, unknown>>;
    expect(facts.versions).toMatchObject({ node: process.versions.node, electron: null });
    expect(facts.os).toMatchObject({ platform: process.platform, arch: process.arch });
    expect(facts.disk!.freeBytes).toBeGreaterThan(0);
  });

  it('previews exactly what is saved, and saves it atomically as a zip', async () => {
    const entries = await gather();
    const preview = previewOf(entries, new Date('2025-05-03T10:00:00Z'));
    expect(preview.suggestedName).toBe('lifeline-diagnostics-2025-05-03.zip');
    expect(preview.leftOut.join(' ')).toMatch(/Backups/);
    const target = join(root, 'out.zip');
    const saved = await writeDiagnosticsZip(target, entries);
    expect(saved).toMatchObject({ path: target, files: entries.length });
    const zip = await readZip(target);
    for (const file of preview.files) expect(zip.get(`lifeline-diagnostics/${file.name}`)).toBe(file.preview);
    expect((await readdir(root)).sort()).toEqual(['data', 'out.zip']);
  });

  it('leaves nothing behind when the zip cannot be written', async () => {
    const target = join(root, 'no-such-folder', 'out.zip');
    await expect(writeDiagnosticsZip(target, await gather())).rejects.toMatchObject({ problem: { code: 'diagnostics-write-failed' } });
    expect((await readdir(root)).sort()).toEqual(['data']);
  });

  it('exports through the contract what the preview showed', async () => {
    const engine = new Engine({ version: '2.0.0', dataFolder: data });
    const context = { transport: 'in-process' as const };
    const preview = await dispatch(engine, context, 'diagnostics.preview', {});
    expect(preview.ok).toBe(true);
    const target = join(root, 'contract.zip');
    expect(await dispatch(engine, context, 'diagnostics.export', { path: target })).toMatchObject({ ok: true, value: { path: target } });
    const names = [...(await readZip(target)).keys()].sort();
    expect(names).toEqual(
      (preview as { value: { files: { name: string }[] } }).value.files.map((file) => `lifeline-diagnostics/${file.name}`).sort(),
    );
    expect(await dispatch(engine, context, 'diagnostics.export', { path: 'relative.zip' })).toMatchObject({
      ok: false,
      problem: { code: 'bad-request' },
    });
    await engine.close();
  });
});
