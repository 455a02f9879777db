/**
 * `npm run sim:practice [-- --time-factor F]`: practice mode's virtual phones in a process of their own. Prints one
 * JSON line — the control line's URL and its secret — and keeps the phones until SIGTERM / Ctrl+C. An engine joins
 * them with `dev:web --demo --practice-host URL` and the secret in LIFELINE_PRACTICE_TOKEN (never on a command line).
 */
import { Command } from 'commander';
import { startPracticeHost } from './practice-host';
import { servePracticeHost } from './practice-host-server';

const options = new Command()
  .name('sim:practice')
  .option('--time-factor <factor>', 'scale the virtual phones’ delays (tests use small values)', '1')
  .parse()
  .opts<{ timeFactor: string }>();

const host = await startPracticeHost({ timeFactor: Number(options.timeFactor) });
const server = await servePracticeHost(host);
process.stdout.write(`${JSON.stringify({ url: server.url, token: server.token })}\n`);

const stop = async (): Promise<void> => {
  await server.close();
  await host.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
