import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProblemError } from '../../common/api';
import { BackupService } from '../../main/backup/backup-service';
import { LockdownClient, LockdownError } from '../../main/lockdown/lockdown-client';
import type { PairRecord } from '../../main/lockdown/pair-record';
import { readPairRecord } from '../../main/lockdown/pair-record-store';
import { LOCKDOWN_REQUEST_EVENT } from '../../main/sim/lockdownd';
import type { ReceivedLockdownRequest } from '../../main/sim/lockdownd';
import { startSimulator } from '../../main/sim/simulator';
import type { Simulator } from '../../main/sim/simulator';
import { createSimServices, virtualFilesystemOf } from '../../main/sim/services/index';
import type { VirtualIphone } from '../../main/sim/virtual-iphone';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { UsbmuxClient } from '../../main/usbmux/usbmux-client';

const MOBILEBACKUP2 = 'com.apple.mobilebackup2';

let sim: Simulator;
let phone: VirtualIphone;
let usbmux: UsbmuxClient;
let record: PairRecord;
let dir: string;
let received: ReceivedLockdownRequest[];
const record_ = (request: ReceivedLockdownRequest): void => {
  received.push(request);
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeline-phone-pin-'));
  // Locked with a passcode: a backup needs the escrow bag, the secret a wrong phone must never get.
  // iOS 15+: the backup service speaks TLS too.
  sim = await startSimulator({
    phones: [
      {
        seed: 'pin',
        trusted: true,
        locked: true,
        passcodeSet: true,
        ios: '15.7',
        timeFactor: 0.01,
        filesystem: { seed: 'pin', fileCount: 5, totalBytes: 5000 },
      },
    ],
    phoneOptions: { createServices: (p) => createSimServices(p) },
  });
  phone = sim.phones[0]!;
  usbmux = new UsbmuxClient({ address: parseUsbmuxSocketAddress(sim.address)! });
  record = (await readPairRecord(usbmux, phone.udid))!;
  expect(record.EscrowBag).toBeDefined();
  phone.events.on(LOCKDOWN_REQUEST_EVENT, record_);
}, 60_000);

afterEach(() => {
  phone.faults.reset();
});

afterAll(async () => {
  phone?.events.off(LOCKDOWN_REQUEST_EVENT, record_);
  if (phone) await virtualFilesystemOf(phone).dispose();
  await sim?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function lockdown(): Promise<LockdownClient> {
  const device = (await usbmux.listDevices()).find((d) => d.udid === phone.udid)!;
  received = [];
  return LockdownClient.connect(usbmux, device.deviceId, { timeoutMs: 5000 });
}

function backupService(): BackupService {
  return new BackupService({
    usbmuxAddress: parseUsbmuxSocketAddress(sim.address)!,
    locations: { platform: 'linux', env: { LIFELINE_BACKUP_DIR: dir }, home: dir },
  });
}

async function backupProblemCode(): Promise<string> {
  received = [];
  const error = await backupService()
    .backup({ udid: phone.udid }, { signal: new AbortController().signal, progress: () => undefined })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(ProblemError);
  return (error as ProblemError).problem.code;
}

describe('the phone at the other end of the session TLS must be the phone in the pair record', () => {
  it('stops at StartSession with a typed error when the phone presents another phone’s certificate', async () => {
    phone.faults.set({ presentCertificate: 'impostor' });
    const client = await lockdown();
    const error = await client.startSession(record).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockdownError);
    expect(error).toMatchObject({ code: 'PhoneIdentityMismatch', request: 'StartSession' });
    expect(client.closed).toBe(true);
    expect(client.activeSession).toBeNull();
    await expect(client.startService(MOBILEBACKUP2, { escrowBag: record.EscrowBag! })).rejects.toMatchObject({
      code: 'PhoneIdentityMismatch',
    });
    expect(received.map((r) => r.request)).toEqual(['StartSession']);
  });

  it('a backup from an impostor stops with a clear Problem before any service starts or the escrow bag leaves', async () => {
    phone.faults.set({ presentCertificate: 'impostor' });
    expect(await backupProblemCode()).toBe('backup-wrong-phone');
    expect(received.some((r) => r.request === 'StartSession')).toBe(true);
    expect(received.filter((r) => r.request === 'StartService' || r.withEscrowBag)).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('accepts the paired phone presenting another certificate over its own key', async () => {
    phone.faults.set({ presentCertificate: 'reissued' });
    const client = await lockdown();
    expect(await client.startSession(record)).toMatchObject({ ssl: true });
    const service = await client.startService(MOBILEBACKUP2, { escrowBag: record.EscrowBag! });
    expect(service.port).toBeGreaterThan(0);
    expect(received.map((r) => [r.request, r.inSession, r.withEscrowBag])).toEqual([
      ['StartSession', false, false],
      ['StartService', true, true],
    ]);
    client.close();
  });

  it('a service TLS connection answered by another phone is refused too', async () => {
    // The session is the paired phone; from the backup service's StartService on, another phone answers.
    const swap = (request: ReceivedLockdownRequest): void => {
      if (request.service === MOBILEBACKUP2) phone.faults.set({ presentCertificate: 'impostor' });
    };
    phone.events.on(LOCKDOWN_REQUEST_EVENT, swap);
    try {
      expect(await backupProblemCode()).toBe('backup-wrong-phone');
      expect(received.filter((r) => r.request === 'StartService').map((r) => r.service)).toContain(MOBILEBACKUP2);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      phone.events.off(LOCKDOWN_REQUEST_EVENT, swap);
    }
  });
});
