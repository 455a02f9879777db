import { afterEach, describe, expect, it } from 'vitest';
import type { Phone } from '../../common/phone';
import { startHostRegistry } from '../../main/devices/host-sources';
import type { PhoneRegistry } from '../../main/devices/phone-registry';
import { FakeUsbmuxd } from '../../main/sim';
import { startPracticeHost, type PracticeHost } from '../../main/sim/practice-host';
import type { ScenarioInput } from '../../main/sim/scenario';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function rig(phones: ScenarioInput[], graceMs = 3000): Promise<{ host: PracticeHost; registry: PhoneRegistry }> {
  const host = await startPracticeHost({ phones });
  cleanups.push(() => host.close());
  const registry = await startHostRegistry({
    usb: host.usb,
    usbmuxAddress: host.usbmuxAddress,
    reconnectGraceMs: graceMs,
    initialBackoffMs: 50,
    probeTimeoutMs: 5000,
  });
  cleanups.push(() => registry.close());
  return { host, registry };
}

/** Resolves with the list once `check` accepts it (the registry's own change events drive the wait). */
function until(registry: PhoneRegistry, check: (phones: Phone[]) => boolean, timeoutMs = 10_000): Promise<Phone[]> {
  return new Promise((resolve, reject) => {
    const test = (): boolean => {
      const phones = registry.list();
      if (!check(phones)) return false;
      off();
      clearTimeout(timer);
      resolve(phones);
      return true;
    };
    const off = registry.onChange(() => void test());
    const timer = setTimeout(() => {
      off();
      reject(
        new Error(
          `Timed out; last list: ${JSON.stringify(registry.list().map((p) => [p.model.name, p.mode, p.connected, p.triage.headline]))}`,
        ),
      );
    }, timeoutMs);
    test();
  });
}

const fast = { timeFactor: 0.01, filesystem: { fileCount: 10, totalBytes: 10_000 } };
const settled = (phones: Phone[]) => phones.every((p) => !p.identifying);

describe('device registry against the virtual iPhone', () => {
  it('names a trusted phone exactly and says a backup is possible', async () => {
    const { registry } = await rig([{ ...fast, seed: 'reg-trusted', model: { productType: 'iPhone6,1' }, ios: '12.5.8', trusted: true }]);
    const [phone] = await until(registry, (p) => p.length === 1 && settled(p));
    expect(phone).toMatchObject({
      mode: 'normal',
      iosVersion: '12.5.8',
      trusted: true,
      passcodeSet: true,
      model: { name: 'iPhone 5s (GSM)', productType: 'iPhone6,1', boardConfig: 'n51ap', buttons: 'home', known: true },
      triage: { canBackUp: true },
    });
  });

  it('tells the truth about a locked, untrusted phone', async () => {
    const { registry } = await rig([
      { ...fast, seed: 'reg-untrusted', model: { productType: 'iPhone13,2' }, ios: '17.5.1', trusted: false },
    ]);
    const [phone] = await until(registry, (p) => p.length === 1 && settled(p));
    expect(phone).toMatchObject({
      model: { name: 'iPhone 12', buttons: 'volume-side' },
      trusted: false,
      triage: { canBackUp: false, headline: 'This computer is not trusted by the phone' },
    });
  });

  it('says a trusted phone not unlocked since boot cannot be backed up', async () => {
    const { registry } = await rig([
      { ...fast, seed: 'reg-afu', model: { productType: 'iPhone6,1' }, ios: '12.5.8', trusted: true, unlockedSinceBoot: false },
    ]);
    const [phone] = await until(registry, (p) => p.length === 1 && settled(p));
    expect(phone!.triage).toMatchObject({ canBackUp: false, headline: 'The phone has not been unlocked since it restarted' });
  });

  it('sees phones that start in recovery and DFU mode on the USB bus, with the exact board', async () => {
    const { registry } = await rig([
      { ...fast, seed: 'reg-rec', model: { productType: 'iPhone9,3' }, mode: 'recovery' },
      { ...fast, seed: 'reg-dfu', model: { productType: 'iPhone8,1', boardConfig: 'n71map' }, mode: 'dfu' },
    ]);
    const phones = await until(registry, (p) => p.length === 2);
    expect(phones.find((p) => p.mode === 'recovery')?.model).toMatchObject({ name: 'iPhone 7 (GSM)', buttons: 'volume-down-side' });
    expect(phones.find((p) => p.mode === 'dfu')?.model).toMatchObject({ name: 'iPhone 6s', boardConfig: 'n71map', cpid: 0x8003 });
  });

  it('keeps one record while a trusted phone goes to recovery by software and then to DFU', async () => {
    const { host, registry } = await rig([
      { ...fast, seed: 'reg-modes', model: { productType: 'iPhone10,1' }, ios: '16.7.16', trusted: true },
    ]);
    const [normal] = await until(registry, (p) => p.length === 1 && settled(p) && p[0]!.mode === 'normal');
    const phone = host.sim.phones[0]!;
    phone.hardware.enterRecovery();
    const [recovery] = await until(registry, (p) => p[0]?.mode === 'recovery' && p[0].connected);
    expect(recovery!.id).toBe(normal!.id);
    expect(registry.list()).toHaveLength(1);
    // assisted DFU: hold Side + Volume Down while the host reboots the phone out of recovery
    phone.hardware.press('power');
    phone.hardware.press('volumeDown');
    phone.hardware.reboot();
    setTimeout(() => phone.hardware.release('power'), 30);
    const [dfu] = await until(registry, (p) => p[0]?.mode === 'dfu' && p[0].connected);
    phone.hardware.release('volumeDown');
    expect(dfu!.id).toBe(normal!.id);
    expect(dfu!.model.name).toBe('iPhone 8 (Global)');
    expect(registry.list()).toHaveLength(1);
  });

  it('follows two phones independently and removes an unplugged one after the grace period', async () => {
    const { host, registry } = await rig(
      [
        { ...fast, seed: 'reg-two-a', model: { productType: 'iPhone6,1' }, trusted: true, ios: '12.5.8' },
        { ...fast, seed: 'reg-two-b', model: { productType: 'iPhone12,1' }, ios: '18.7' },
      ],
      300,
    );
    await until(registry, (p) => p.length === 2 && settled(p));
    host.sim.phones[1]!.hardware.unplug();
    await until(registry, (p) => p.some((x) => !x.connected));
    const left = await until(registry, (p) => p.length === 1);
    expect(left[0]!.model.name).toBe('iPhone 5s (GSM)');
    expect(left[0]!.triage.canBackUp).toBe(true);
  });

  it('reports a missing usbmuxd, keeps retrying, and finds the phones again when it returns', async () => {
    const daemonPhones = [{ ...fast, seed: 'reg-restart', model: { productType: 'iPhone6,1' }, trusted: true, ios: '12.5.8' }];
    const { host, registry } = await rig(daemonPhones, 5000);
    await until(registry, (p) => p.length === 1 && settled(p));
    const address = host.sim.address;
    const phone = host.sim.phones[0]!;
    const record = await host.sim.daemon.readPairRecord(phone.udid);
    await host.sim.daemon.close();
    await until(registry, (p) => p[0]?.connected === true && p[0].triage.headline === 'Lifeline cannot talk to this phone yet');
    expect(registry.hostStatus().usbmux).toMatchObject({ state: 'unavailable', reason: 'daemon-missing' });

    const revived = new FakeUsbmuxd({ listen: address.replace(/^UNIX:/, '') });
    await revived.start();
    cleanups.push(() => revived.close());
    if (record) await revived.storePairRecord(phone.udid, record);
    revived.attach(phone);
    const [back] = await until(registry, (p) => p.length === 1 && settled(p) && registry.hostStatus().usbmux.state === 'connected');
    expect(back!.triage.headline).toBe('A backup is possible now');
    expect(registry.hostStatus().usbmux.state).toBe('connected');
    expect(parseUsbmuxSocketAddress(address)).not.toBeNull();
  });
});
