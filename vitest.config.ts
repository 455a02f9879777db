import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { PeerSkipReporter } from './tests/peers/peer-skip-reporter';

// Logs, journeys and other app data written by engines and CLIs under test stay out of the tester's home folder.
process.env.LIFELINE_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'lifeline-test-data-'));

export default defineConfig({
  test: {
    // The last line names the peer suites this machine skipped, and why.
    reporters: ['default', new PeerSkipReporter()],
    projects: [
      // --expose-gc: the parser fuzz suite (tests/unit/fuzz) measures what each parse holds after a full collection.
      { test: { name: 'unit', environment: 'node', include: ['tests/unit/**/*.test.ts'], execArgv: ['--expose-gc'] } },
      {
        test: {
          name: 'renderer',
          environment: 'happy-dom',
          include: ['tests/renderer/**/*.test.tsx'],
          setupFiles: ['tests/renderer/setup.ts'],
        },
      },
      // Real sockets, processes and timers on a shared 2-core machine: one retry absorbs a scheduling hiccup; a real
      // fault fails twice. (Unit and renderer tests get none.)
      { test: { name: 'integration', environment: 'node', include: ['tests/integration/**/*.test.ts'], testTimeout: 30_000, retry: 1 } },
      { test: { name: 'peers', environment: 'node', include: ['tests/peers/**/*.test.ts'], testTimeout: 120_000, retry: 1 } },
    ],
  },
});
