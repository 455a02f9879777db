import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FirmwareSettings } from '../firmware/firmware-service';
import { startFakeAppleServers, type FakeAppleServers, type FakeFirmware } from './fake-apple-servers';
import { practiceIpswSpec } from './restore/restore-firmware';
import { writeSyntheticIpsw } from './synthetic-ipsw';

/** Practice mode's "internet": fake Apple catalogs and CDN serving small synthetic IPSWs for the practice phones. */
export type PracticeFirmware = { servers: FakeAppleServers; settings: FirmwareSettings; close(): Promise<void> };

export async function startPracticeFirmware(
  productTypes: string[],
  options: { osBytes?: number; cacheDir?: string } = {},
): Promise<PracticeFirmware> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'lifeline-practice-firmware-'));
  // The synthetic IPSWs are written on the first request, so practice mode starts as fast as before.
  const servers = await startFakeAppleServers({
    firmwares: () => makeFirmwares(productTypes, workDir, options.osBytes ?? 4 * 1024 * 1024),
  });
  // Slow enough that the progress bar is visible in practice (4 MiB in about 2 s).
  servers.faults.bytesPerSecond = 2 * 1024 * 1024;
  const cacheDir = options.cacheDir ?? path.join(workDir, 'cache');
  return {
    servers,
    settings: { cacheDir, appleUrl: servers.appleCatalogUrl, ipswmeUrl: servers.ipswmeUrl },
    close: async () => {
      await servers.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

async function makeFirmwares(productTypes: string[], workDir: string, osBytes: number): Promise<FakeFirmware[]> {
  const firmwares: FakeFirmware[] = [];
  for (const productType of [...new Set(productTypes)]) {
    const spec = practiceIpswSpec(productType, osBytes);
    if (!spec) continue;
    const ipsw = await writeSyntheticIpsw(workDir, spec);
    firmwares.push({
      ...ipsw.spec,
      fileName: ipsw.fileName,
      size: ipsw.size,
      sha1: ipsw.sha1,
      sha256: ipsw.sha256,
      signed: true,
      path: ipsw.path,
    });
  }
  return firmwares;
}
