import { describe, expect, it } from 'vitest';
import { runCli } from '../../../main/cli';
import { describeUsbAccess } from '../../../main/cli/info-command';
import { WINDOWS_DRIVER_FIX } from '../../../main/usb/node-usb-bus';

describe('lifeline info: how recovery and DFU phones are reached', () => {
  it('names Apple’s driver on Windows, libusb elsewhere, and USB/IP when a server is used', () => {
    expect(describeUsbAccess({ state: 'ready', backend: 'apple-driver' })).toBe(
      'Recovery and DFU phones: through Apple’s driver (from Apple Devices or iTunes)',
    );
    expect(describeUsbAccess({ state: 'ready', backend: 'libusb' })).toBe('Recovery and DFU phones: through direct USB access (libusb)');
    expect(describeUsbAccess({ state: 'ready', backend: 'usbip' })).toBe('Recovery and DFU phones: through a USB/IP server');
  });

  it('says what to install when Apple’s driver is missing', () => {
    const text = describeUsbAccess({
      state: 'unavailable',
      backend: 'apple-driver',
      reason: 'driver-missing',
      detail: 'An iPhone in recovery or DFU mode is attached, but Windows has no driver for it.',
      fix: WINDOWS_DRIVER_FIX,
    });
    expect(text).toContain('not reachable through Apple’s driver');
    expect(text).toContain(
      'What to do: Windows has no Apple driver for this iPhone. Install Apple’s “Apple Devices” app from the Microsoft Store (or iTunes)',
    );
  });

  it('puts the USB status, with its backend, in --json output', async () => {
    const out: string[] = [];
    await runCli(['--json', 'info'], { out: (t) => out.push(t), err: () => undefined });
    const info = JSON.parse(out.join('\n')) as { usb: { state: string; backend: string } };
    expect(info.usb.backend).toBe(process.platform === 'win32' ? 'apple-driver' : 'libusb');
  });
});
