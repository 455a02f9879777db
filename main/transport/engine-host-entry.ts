/**
 * The engine process: an Electron utility process in the app (built as out/main/engine-host.js), a
 * `child_process.fork` child in tests. It composes the engine exactly as the app used to in its main process
 * and serves it to the app over the port; a crash here costs the app its engine, never its window.
 */
import { createAppEngine } from '../rescue/create-engine';
import { engineOptionsFromArguments } from './engine-arguments';
import { serveEngineHost } from './engine-host';
import { thisProcessPort } from './engine-port';

const port = thisProcessPort();
const options = engineOptionsFromArguments(process.argv.slice(2));
const host = serveEngineHost(port, () => createAppEngine(options), {
  transport: 'electron',
  log: (line) => process.stderr.write(`${line}\n`),
});
process.exitCode = await host.closed;
port.close();
// The process ends by itself once the channel is closed; should anything still hold it open, it ends anyway.
setTimeout(() => process.exit(), 2000).unref();
