/**
 * The benchmark's CDN, in its own process so it never competes with the downloader being measured:
 * serves BENCH_FIRMWARE_BYTES of deterministic filler at /cdn/BENCH/bench.ipsw and prints one JSON line.
 */
import { startFakeAppleServers } from '../../main/sim/fake-apple-servers';

const size = Number(process.env.BENCH_FIRMWARE_BYTES ?? 2 * 1024 ** 3);
const firmware = {
  productTypes: ['iPhone6,1'],
  boards: [],
  version: '12.5.8',
  build: 'BENCH',
  fileName: 'bench.ipsw',
  size,
  sha1: '0'.repeat(40),
  signed: true,
  fillerSeed: 7,
};
const servers = await startFakeAppleServers({ firmwares: [firmware] });
process.stdout.write(`${JSON.stringify({ url: servers.firmwareUrl(firmware), size })}\n`);
process.on('SIGTERM', () => void servers.close().then(() => process.exit(0)));
