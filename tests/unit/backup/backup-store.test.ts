import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupStore, BackupVerifyError } from '../../../main/backup/backup-store';
import { buildManifestDb } from '../../../main/backup/manifest-db';
import { encodeBinaryPlist } from '../../../main/plist/plist-codec';
import { fileIdFor } from '../../../main/sim/virtual-fs';

const UDID = '00008030-001234567890802E';
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'lifeline-store-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A minimal complete backup: Info/Manifest/Status plists, Manifest.db listing `files`, and their payloads. */
async function writeBackup(dir: string, files: Record<string, string>, options: { finished?: boolean; omit?: string } = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Info.plist'), encodeBinaryPlist({ 'Target Identifier': UDID }));
  await writeFile(join(dir, 'Manifest.plist'), encodeBinaryPlist({ IsEncrypted: false }));
  await writeFile(join(dir, 'Status.plist'), encodeBinaryPlist({ SnapshotState: options.finished === false ? 'uploading' : 'finished' }));
  const records = Object.entries(files).map(([path, content]) => ({
    fileID: fileIdFor('HomeDomain', path),
    domain: 'HomeDomain',
    relativePath: path,
    flags: 1 as const,
    size: content.length,
    mode: 0o100644,
    mtime: new Date(0),
  }));
  await writeFile(join(dir, 'Manifest.db'), buildManifestDb(records));
  for (const record of records) {
    if (record.relativePath === options.omit) continue;
    await mkdir(join(dir, record.fileID.slice(0, 2)), { recursive: true });
    await writeFile(join(dir, record.fileID.slice(0, 2), record.fileID), files[record.relativePath]!);
  }
}

describe('BackupStore', () => {
  it('stages a hard-linked copy of the previous backup, then swaps the verified new one in', async () => {
    const store = new BackupStore(root, UDID);
    await writeBackup(store.backupPath, { a: 'old a', b: 'old b' });
    const staging = await store.beginStaging();
    expect(staging.reused).toBe(6);
    const linked = join(staging.backupPath, 'Info.plist');
    expect((await stat(linked)).nlink).toBe(2);
    await rm(staging.backupPath, { recursive: true });
    await writeBackup(staging.backupPath, { a: 'new a' });
    expect(await store.verify(staging)).toMatchObject({ files: 1, encrypted: false });
    await store.commit(staging);
    expect(await readdir(root)).toEqual([UDID]);
    const id = fileIdFor('HomeDomain', 'a');
    expect(await readFile(join(store.backupPath, id.slice(0, 2), id), 'utf8')).toBe('new a');
  });

  it('abandon leaves the previous backup as it was', async () => {
    const store = new BackupStore(root, UDID);
    await writeBackup(store.backupPath, { a: 'old a' });
    const staging = await store.beginStaging();
    await store.abandon(staging);
    expect(await readdir(root)).toEqual([UDID]);
    const id = fileIdFor('HomeDomain', 'a');
    expect(await readFile(join(store.backupPath, id.slice(0, 2), id), 'utf8')).toBe('old a');
  });

  it('refuses an unfinished snapshot and a backup missing a listed file', async () => {
    const store = new BackupStore(root, UDID);
    const staging = await store.beginStaging();
    await writeBackup(staging.backupPath, { a: 'x' }, { finished: false });
    await expect(store.verify(staging)).rejects.toMatchObject({ failure: 'unfinished' });
    await writeBackup(staging.backupPath, { a: 'x', b: 'y' }, { omit: 'b' });
    await expect(store.verify(staging)).rejects.toBeInstanceOf(BackupVerifyError);
    await expect(store.verify(staging)).rejects.toMatchObject({ failure: 'missing-files' });
  });

  it('recover() puts back a previous backup left aside by a crash mid-swap and clears abandoned staging', async () => {
    const store = new BackupStore(root, UDID);
    await writeBackup(join(root, `.lifeline-previous-${UDID}`), { a: 'kept' });
    await mkdir(join(root, `.lifeline-staging-${UDID}-dead`, UDID), { recursive: true });
    await store.recover();
    expect(await readdir(root)).toEqual([UDID]);
    const id = fileIdFor('HomeDomain', 'a');
    expect(await readFile(join(store.backupPath, id.slice(0, 2), id), 'utf8')).toBe('kept');
  });

  it('recover() drops the aside copy when the swap had completed', async () => {
    const store = new BackupStore(root, UDID);
    await writeBackup(store.backupPath, { a: 'new' });
    await writeBackup(join(root, `.lifeline-previous-${UDID}`), { a: 'old' });
    await store.recover();
    expect(await readdir(root)).toEqual([UDID]);
  });
});
