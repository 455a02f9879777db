/**
 * The ASR bench's receiving side, in its own process so it never competes with the sender being measured. Two
 * loopback ports per kind: `asr` and `asrChecksum` run the virtual phone's ASR side without and with checksum chunks
 * (framing parsed, bytes counted, no hashing: that is the phone's work, not the sender's), `raw` takes bytes until the
 * sender ends. Both close the socket once everything arrived.
 * Prints one JSON line with the ports.
 */
import { once } from 'node:events';
import net from 'node:net';
import { runAsrDevice } from '../../main/sim/restore/asr-device';

async function listen(onSocket: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onSocket);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

function asrPhone(checksumChunks: boolean): (socket: net.Socket) => void {
  return (socket) => {
    void runAsrDevice(socket, { checksumChunks, hashPayload: false, verifyChunkChecksums: false }).then((report) => {
      if (report.outcome !== 'received') process.stderr.write(`asr phone: ${report.outcome} ${report.error ?? ''}\n`);
    });
  };
}

const asr = await listen(asrPhone(false));
const asrChecksum = await listen(asrPhone(true));
const raw = await listen((socket) => {
  socket.on('error', () => undefined);
  socket.resume();
  socket.on('end', () => socket.destroy());
});
process.stdout.write(`${JSON.stringify({ asr, asrChecksum, raw })}\n`);
process.on('SIGTERM', () => process.exit(0));
