/**
 * Names every peer suite that skipped on this machine, and why, in one line at the end of the vitest run — and
 * leaves the same line in PEER_SKIPS_FILE so `npm test` can repeat it after the e2e step
 * (scripts/print-peer-skips.mjs). A suite states its reason with peerSuiteOptions(); a peer file whose tests all
 * skipped without one is still named.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TaskMeta } from 'vitest';
import type { Reporter, TestModule } from 'vitest/node';

export const PEER_SKIPS_FILE = path.resolve(import.meta.dirname, '../../node_modules/.cache/lifeline/peer-skips.txt');
const PEERS_PROJECT = 'peers';

export type PeerSkip = { suite: string; reason: string };

/** The parts of a vitest TestModule this reporter reads. */
export type PeerModuleView = {
  moduleId: string;
  project: { name: string };
  children: {
    allSuites(): Iterable<{ meta(): TaskMeta }>;
    allTests(): Iterable<{ result(): { state: string } }>;
  };
};

export function collectPeerSkips(modules: readonly PeerModuleView[]): PeerSkip[] {
  const skips: PeerSkip[] = [];
  for (const module of modules) {
    if (module.project.name !== PEERS_PROJECT) continue;
    const suite = path.basename(module.moduleId).replace(/\.test\.[cm]?[jt]s$/, '');
    const reasons = new Set<string>();
    for (const child of module.children.allSuites()) {
      const reason = child.meta().peerSkip;
      if (reason) reasons.add(reason);
    }
    const states = [...module.children.allTests()].map((test) => test.result().state);
    if (reasons.size === 0 && states.length > 0 && states.every((state) => state === 'skipped'))
      reasons.add('skipped without a stated reason');
    for (const reason of reasons) skips.push({ suite, reason });
  }
  return skips.sort((a, b) => a.suite.localeCompare(b.suite));
}

export function peerSkipsLine(skips: readonly PeerSkip[]): string {
  return `peers skipped: ${skips.length === 0 ? 'none' : skips.map((skip) => `${skip.suite} (${skip.reason})`).join(', ')}`;
}

export class PeerSkipReporter implements Reporter {
  onInit(): void {
    rmSync(PEER_SKIPS_FILE, { force: true });
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    if (!modules.some((module) => module.project.name === PEERS_PROJECT)) return;
    const line = peerSkipsLine(collectPeerSkips(modules));
    mkdirSync(path.dirname(PEER_SKIPS_FILE), { recursive: true });
    writeFileSync(PEER_SKIPS_FILE, `${line}\n`);
    process.stdout.write(`\n${line}\n`);
  }
}
