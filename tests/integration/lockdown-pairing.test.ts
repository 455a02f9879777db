/**
 * Host-side pairing against virtual phones over the fake usbmuxd: the Trust dialog accepted, pending then accepted,
 * denied, a locked phone; the record kept by usbmuxd opens a pinned TLS session; an erased phone in its setup
 * assistant pairs without a dialog and is waited for until the person chooses "From Mac or PC".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemError } from '../../common/api';
import { readyForRestore, SETUP_PROMPT } from '../../main/backup/restore-readiness';
import { LockdownClient } from '../../main/lockdown/lockdown-client';
import { ensurePaired, pairPhone, TRUST_PROMPT, type PairTarget } from '../../main/lockdown/lockdown-pairing';
import { readPairRecord } from '../../main/lockdown/pair-record-store';
import { LOCKDOWN_REQUEST_EVENT, type ReceivedLockdownRequest } from '../../main/sim/lockdownd';
import { createSimServices } from '../../main/sim/services/index';
import { startSimulator, type Simulator } from '../../main/sim/simulator';
import type { ScenarioInput } from '../../main/sim/scenario';
import type { VirtualIphone } from '../../main/sim/virtual-iphone';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { UsbmuxClient } from '../../main/usbmux/usbmux-client';

let sim: Simulator;
let usbmux: UsbmuxClient;

beforeAll(async () => {
  sim = await startSimulator({ phones: [], phoneOptions: { createServices: (phone) => createSimServices(phone) } });
  usbmux = new UsbmuxClient({ address: parseUsbmuxSocketAddress(sim.address)! });
}, 60_000);

afterAll(async () => {
  await sim?.close();
});

let seed = 0;
async function phoneWith(scenario: ScenarioInput): Promise<{ phone: VirtualIphone; target: PairTarget }> {
  const phone = await sim.addPhone({
    seed: `pairing-${seed++}`,
    ios: '15.7',
    timeFactor: 0.01,
    passcodeSet: false,
    locked: false,
    ...scenario,
  });
  const device = (await usbmux.listDevices()).find((d) => d.udid === phone.udid)!;
  return { phone, target: { deviceId: device.deviceId, udid: phone.udid } };
}

function requestsOf(phone: VirtualIphone): string[] {
  const seen: string[] = [];
  phone.events.on(LOCKDOWN_REQUEST_EVENT, (request: ReceivedLockdownRequest) => seen.push(request.request));
  return seen;
}

/** A session with the record usbmuxd keeps: TLS with the pinned device key (startSession refuses any other phone). */
async function sessionOpens(target: PairTarget): Promise<boolean> {
  const record = (await readPairRecord(usbmux, target.udid))!;
  const lockdown = await LockdownClient.connect(usbmux, target.deviceId, { timeoutMs: 5000 });
  try {
    const session = await lockdown.startSession(record);
    await lockdown.stopSession();
    return session.ssl;
  } finally {
    lockdown.close();
  }
}

describe('pairing this computer with a phone (lockdown Pair)', () => {
  it('pairs when Trust is tapped: the phone’s escrow bag is kept, usbmuxd saves the record, and a pinned session opens with it', async () => {
    const { phone, target } = await phoneWith({ trustDialog: 'accept' });
    const seen = requestsOf(phone);
    expect(await readPairRecord(usbmux, phone.udid)).toBeNull();
    const record = await pairPhone(usbmux, target);
    expect(seen).toEqual(['QueryType', 'GetValue', 'GetValue', 'Pair']);
    const stored = await readPairRecord(usbmux, phone.udid);
    expect(stored).toMatchObject({
      HostID: record.HostID,
      SystemBUID: sim.daemon.systemBuid,
      UDID: phone.udid,
      WiFiMACAddress: phone.identity.wifiAddress,
    });
    expect(stored!.EscrowBag).toEqual(phone.pairedHost(record.HostID)!.escrowBag);
    expect(stored!.DeviceCertificate.toString()).toBe(record.DeviceCertificate.toString());
    expect(await sessionOpens(target)).toBe(true);
  });

  it('asks the person to tap Trust while the dialog is showing, and pairs once they do', async () => {
    const { phone, target } = await phoneWith({ trustDialog: 'pending' });
    const asked: string[] = [];
    const record = await pairPhone(usbmux, target, {
      pollMs: 5,
      onWaiting: (message) => {
        asked.push(message);
        if (asked.length === 2) phone.answerTrustDialog('accept');
      },
    });
    expect(asked).toEqual([TRUST_PROMPT, TRUST_PROMPT]);
    expect(phone.pairedHostIds()).toEqual([record.HostID]);
    expect(await sessionOpens(target)).toBe(true);
  });

  it('gives up after the wait when nobody answers, saying so', async () => {
    const { phone, target } = await phoneWith({ trustDialog: 'pending' });
    await expect(pairPhone(usbmux, target, { pollMs: 5, waitMs: 0 })).rejects.toMatchObject({ code: 'pair-no-answer' });
    expect(phone.pairedHostIds()).toEqual([]);
    expect(await readPairRecord(usbmux, phone.udid)).toBeNull();
  });

  it('stops at “Don’t Trust”, and saves nothing', async () => {
    const { phone, target } = await phoneWith({ trustDialog: 'deny' });
    const failure = await pairPhone(usbmux, target).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProblemError);
    expect(failure).toMatchObject({ code: 'pair-denied' });
    expect(phone.pairedHostIds()).toEqual([]);
    expect(await readPairRecord(usbmux, phone.udid)).toBeNull();
  });

  it('asks for the phone to be unlocked when it is passcode-locked (it cannot show the dialog)', async () => {
    const { target } = await phoneWith({ trustDialog: 'accept', passcodeSet: true, locked: true });
    await expect(pairPhone(usbmux, target)).rejects.toMatchObject({ code: 'pair-phone-locked' });
  });

  it('keeps a record the phone still accepts, and pairs again once the phone forgot this computer', async () => {
    const { phone, target } = await phoneWith({ trusted: true, trustDialog: 'accept' });
    const before = (await readPairRecord(usbmux, phone.udid))!;
    const seen = requestsOf(phone);
    expect((await ensurePaired(usbmux, target)).HostID).toBe(before.HostID);
    expect(seen).not.toContain('Pair');

    phone.removePairedHost(before.HostID);
    const after = await ensurePaired(usbmux, target);
    expect(after.HostID).not.toBe(before.HostID);
    expect(seen).toContain('Pair');
    expect((await readPairRecord(usbmux, phone.udid))!.HostID).toBe(after.HostID);
    expect(await sessionOpens(target)).toBe(true);
  });

  it('pairs an erased phone in its setup assistant without a dialog, then waits until “From Mac or PC” is chosen', async () => {
    const { phone, target } = await phoneWith({ setupDone: false, activated: false, trustDialog: 'pending' });
    const asked: string[] = [];
    await readyForRestore(usbmux, target, {
      setupPollMs: 5,
      onWaiting: (message) => {
        asked.push(message);
        phone.chooseRestoreFromComputer();
      },
    });
    expect(asked).toEqual([SETUP_PROMPT]);
    expect(SETUP_PROMPT).toMatch(/Transfer Your Apps & Data.*From Mac or PC/);
    expect(SETUP_PROMPT).toMatch(/Activation Lock asks for the Apple ID/);
    expect(phone.pairedHostIds()).toHaveLength(1);
    expect(phone.scenario).toMatchObject({ activated: true, setupDone: false });
  });

  it('refuses the backup service of a phone that is not activated yet', async () => {
    const { target } = await phoneWith({ setupDone: false, activated: false });
    const record = await pairPhone(usbmux, target);
    const lockdown = await LockdownClient.connect(usbmux, target.deviceId, { timeoutMs: 5000 });
    try {
      await lockdown.startSession(record);
      await expect(lockdown.startService('com.apple.mobilebackup2', { escrowBag: record.EscrowBag! })).rejects.toMatchObject({
        code: 'ServiceProhibited',
      });
    } finally {
      lockdown.close();
    }
  });

  it('gives up waiting for the setup after its bound', async () => {
    const { target } = await phoneWith({ setupDone: false, activated: false });
    await expect(readyForRestore(usbmux, target, { setupWaitMs: 0 })).rejects.toMatchObject({ code: 'restore-phone-not-activated' });
  });
});
