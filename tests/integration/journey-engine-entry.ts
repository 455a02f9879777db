/** The engine process of the journey crash test: the app's practice mode, its virtual phones at a hundredth of real time. */
import { createAppEngine } from '../../main/rescue/create-engine';
import { serveEngineHost } from '../../main/transport/engine-host';
import { thisProcessPort } from '../../main/transport/engine-port';

const port = thisProcessPort();
const host = serveEngineHost(port, () => createAppEngine({ demo: true, demoTimeFactor: 0.01, reconnectGraceMs: 60_000 }), {
  transport: 'electron',
  log: (line) => process.stderr.write(`${line}\n`),
});
process.exitCode = await host.closed;
port.close();
setTimeout(() => process.exit(), 2000).unref();
