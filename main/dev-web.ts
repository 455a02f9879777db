/**
 * `npm run dev:web [-- --demo [--practice-host URL]] [-- --port N] [-- --json] [-- --no-build]`: the real renderer and the
 * real engine in an ordinary browser, over the loopback WebSocket bridge. Used by the e2e tests.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { build } from 'vite';
import { startWebBridge } from './transport/web-bridge';
import { createAppEngine } from './rescue/create-engine';

const PRACTICE_TOKEN_ENV = 'LIFELINE_PRACTICE_TOKEN';
const root = path.resolve(import.meta.dirname, '..');
const rendererDir = path.join(root, 'out', 'renderer');

const program = new Command()
  .name('dev:web')
  .option('--demo', 'attach virtual iPhones (practice mode)', false)
  .option('--port <port>', 'port to listen on (loopback only)', '0')
  .option('--json', 'print one JSON line with the URL instead of prose', false)
  .option('--no-build', 'serve out/renderer as it is')
  .option('--time-factor <factor>', 'practice mode: scale the virtual phones’ delays (tests use small values)', '1')
  .option('--grace-ms <ms>', 'how long a card waits for a phone that went away')
  .option(
    '--practice-host <url>',
    `practice mode: join the virtual phones of \`npm run sim:practice\` (its secret in ${PRACTICE_TOKEN_ENV})`,
  )
  .parse();

const options = program.opts<{
  demo: boolean;
  port: string;
  json: boolean;
  build: boolean;
  timeFactor: string;
  graceMs?: string;
  practiceHost?: string;
}>();

if (options.build || !existsSync(path.join(rendererDir, 'index.html'))) {
  const { rendererConfig } = await import('../vite.renderer.config');
  await build({ ...rendererConfig, configFile: false, logLevel: options.json ? 'silent' : 'info' });
}

const engine = await createAppEngine({
  demo: options.demo,
  demoTimeFactor: Number(options.timeFactor),
  ...(options.graceMs !== undefined ? { reconnectGraceMs: Number(options.graceMs) } : {}),
  ...(options.practiceHost !== undefined
    ? { practiceHost: { url: options.practiceHost, token: process.env[PRACTICE_TOKEN_ENV] ?? '' } }
    : {}),
});
const bridge = await startWebBridge({ engine, staticDir: rendererDir, port: Number(options.port) });

if (options.json) {
  process.stdout.write(`${JSON.stringify({ url: bridge.url, origin: bridge.origin, port: bridge.port })}\n`);
} else {
  process.stdout.write(
    `\nLifeline is running in your browser at:\n\n  ${bridge.url}\n\n(loopback only; the link carries a one-time secret). Press Ctrl+C to stop.\n`,
  );
}

const stop = async (): Promise<void> => {
  await bridge.close();
  await engine.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
