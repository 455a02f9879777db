/**
 * The engine process: an Electron utility process in the app (built as out/main/engine-host.js), a
 * `child_process.fork` child in tests. It composes the engine exactly as the app used to in its main process
 * and serves it to the app over the port; a crash here costs the app its engine, never its window.
 */
import { logFolder } from '../log/data-folder';
import { log, startFileLog } from '../log/log';
import { createAppEngine } from '../rescue/create-engine';
import { engineOptionsFromArguments } from './engine-arguments';
import { serveEngineHost } from './engine-host';
import { thisProcessPort } from './engine-port';

const port = thisProcessPort();
const options = engineOptionsFromArguments(process.argv.slice(2));
const host = serveEngineHost(port, () => createAppEngine(options), {
  transport: 'electron',
  log: (line) => {
    process.stderr.write(`${line}\n`);
    log.warn('engine.host', { line });
  },
});
// Opened once the port is served, so no message from the app waits on it; one that cannot be opened never stops the engine.
const stopLog = await startFileLog({ folder: logFolder(), process: 'engine' }).catch(() => null);
log.info('engine.process.started', { demo: options.demo ?? false, usbip: options.usbip !== undefined });
process.exitCode = await host.closed;
log.info('engine.process.ended', { exitCode: process.exitCode });
await stopLog?.();
port.close();
// The process ends by itself once the channel is closed; should anything still hold it open, it ends anyway.
setTimeout(() => process.exit(), 2000).unref();
