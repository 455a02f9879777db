import { statfs } from 'node:fs/promises';
import { arch, platform, release, version as osVersion } from 'node:os';
import { dirname } from 'node:path';
import type { HostStatus } from '../../common/phone';

/** What support needs to know about this computer, and nothing about the person: no names, no identifiers. */
export type HostFacts = {
  app: { name: string; version: string; demo: boolean };
  versions: { node: string; electron: string | null; v8: string };
  os: { platform: string; release: string; version: string; arch: string };
  /** The USB bus in use (libusb, Apple's driver, USB/IP, practice phones) and usbmuxd as the engine last saw them. */
  host: HostStatus | null;
  disk: { freeBytes: number | null; totalBytes: number | null };
  collectedAt: string;
};

export type HostFactsInput = {
  app: HostFacts['app'];
  host: HostStatus | null;
  /** The folder whose disk is measured (the data folder). */
  folder: string;
  now?: Date;
};

export async function collectHostFacts(input: HostFactsInput): Promise<HostFacts> {
  return {
    app: input.app,
    versions: { node: process.versions.node, electron: process.versions.electron ?? null, v8: process.versions.v8 },
    os: { platform: platform(), release: release(), version: osVersion(), arch: arch() },
    host: input.host,
    disk: await diskSpace(input.folder),
    collectedAt: (input.now ?? new Date()).toISOString(),
  };
}

async function diskSpace(folder: string): Promise<HostFacts['disk']> {
  // The data folder may not exist yet: measure the nearest folder that does.
  for (let path = folder; ;) {
    try {
      const stats = await statfs(path);
      return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
    } catch {
      const parent = dirname(path);
      if (parent === path) return { freeBytes: null, totalBytes: null };
      path = parent;
    }
  }
}
