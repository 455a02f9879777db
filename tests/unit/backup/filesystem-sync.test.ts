import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { filesystemSyncFor } from '../../../main/backup/filesystem-sync';

const root = mkdtempSync(join(tmpdir(), 'lifeline-fs-sync-'));

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('filesystemSyncFor', () => {
  it('offers none on macOS and Windows: their files are fsynced one by one', async () => {
    expect(await filesystemSyncFor(root, 'darwin')).toBeUndefined();
    expect(await filesystemSyncFor(root, 'win32')).toBeUndefined();
  });

  // CI and the Linux builds run coreutils' sync, which has -f (syncfs) since 8.24.
  it.runIf(process.platform === 'linux')('syncs the filesystem of a folder on Linux, and says plainly when it cannot', async () => {
    const sync = await filesystemSyncFor(root, 'linux');
    expect(sync).toBeTypeOf('function');
    await expect(sync!(root)).resolves.toBeUndefined();
    await expect(sync!(join(root, 'missing'))).rejects.toMatchObject({
      code: 'EIO',
      message: expect.stringContaining('Could not sync the disk'),
    });
  });
});
