/**
 * Virtual phones for the restore bench, in their own process so the host's figures hold only the host's work.
 * `tsx tests/bench/backup-phones.ts COUNT FILES BYTES IOS` prints one JSON line `{ address, udids }` and serves until
 * SIGINT.
 */
import { startSimulator } from '../../main/sim/index';

const [count = '1', files = '2000', bytes = String(512 * 1024 ** 2), ios = '14.8'] = process.argv.slice(2);
const sim = await startSimulator({
  phones: Array.from({ length: Number(count) }, (_, i) => ({
    seed: `bench-phone-${i}`,
    ios,
    trusted: true,
    passcodeSet: false,
    timeFactor: 0.01,
    filesystem: { seed: `bench-restore-${i}`, fileCount: Number(files), totalBytes: Number(bytes) },
  })),
});
process.stdout.write(`${JSON.stringify({ address: sim.address, udids: sim.phones.map((phone) => phone.udid) })}\n`);
process.on('SIGINT', () => {
  void sim.close().finally(() => process.exit(0));
});
