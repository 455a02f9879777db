import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * One sync of the whole filesystem that holds a folder: Linux's syncfs(2), run through coreutils' `sync -f` (Node has
 * no binding for it). Everything written on that filesystem so far is on the disk when it resolves. For a backup's
 * thousands of new files this is one pass of writeback and one journal commit, where an fsync per file costs ext4 a
 * commit each: measured in docs/performance.md#durability-one-filesystem-sync-instead-of-an-fsync-per-file.
 * Linux only: macOS's sync(2) may return before the data is written, and Windows has no such call, so there every
 * file is fsynced on its own.
 */
export type FilesystemSync = (folder: string) => Promise<void>;

/** Absolute paths only: a `sync` planted earlier in PATH must never run. */
const SYNC_PROGRAMS = ['/usr/bin/sync', '/bin/sync'];

let probe: Promise<FilesystemSync | undefined> | undefined;

/**
 * The filesystem sync for `folder` where this machine has one that works (tried once per process, on `folder`),
 * otherwise undefined: the caller fsyncs file by file.
 */
export function filesystemSyncFor(folder: string, platform: NodeJS.Platform = process.platform): Promise<FilesystemSync | undefined> {
  if (platform !== 'linux') return Promise.resolve(undefined);
  probe ??= (async () => {
    const program = SYNC_PROGRAMS.find((path) => existsSync(path));
    if (program === undefined) return undefined;
    const sync: FilesystemSync = (target) => runSync(program, target);
    try {
      await sync(folder);
      return sync;
    } catch {
      // An old coreutils without -f, or a busybox without syncfs: fsync file by file.
      return undefined;
    }
  })();
  return probe;
}

function runSync(program: string, folder: string): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(program, ['-f', '--', folder], { windowsHide: true }, (error, _stdout, stderr) => {
      if (!error) resolve();
      else
        reject(
          Object.assign(new Error(`Could not sync the disk holding ${folder}: ${stderr.trim() || error.message}`), {
            code: 'EIO',
            syscall: 'syncfs',
          }),
        );
    }),
  );
}
