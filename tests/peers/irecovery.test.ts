/**
 * Debian's unmodified `irecovery` (libirecovery 1.0.0) drives the virtual phone through the libusb-over-USB/IP
 * shim (docs/protocols/usbip.md#libusb-shim) and the sim's USB/IP server. Assertions are on what the phone received:
 * the tool's exit codes lie (docs/protocols/irecv.md#observed-from-the-debian-tools).
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findModelByProductType } from '../../common/device-table';
import { PhoneHardware, type PhoneMode } from '../../main/sim/hardware/phone-hardware';
import { SimUsbBus } from '../../main/sim/hardware/sim-usb-bus';
import { SimUsbipServer } from '../../main/sim/usbip-server';
import { irecoveryOverUsbipNeeds, peerSkipReason, peerSuiteOptions, waitFor, whichTool } from './peer-tool';

/** The libusb-usbip shim's source folder (docs/protocols/usbip.md#libusb-shim); the suite skips without it. */
const SHIM_SOURCE = process.env.LIFELINE_LIBUSB_USBIP_SRC ?? '';
const ECID = 0x000a1b2c3d4e5f60n;
const tool = whichTool('irecovery');

const missing = peerSkipReason(irecoveryOverUsbipNeeds(SHIM_SOURCE));

describe.skipIf(missing !== null)(`irecovery through USB/IP${missing ? ` (skipped: ${missing})` : ''}`, peerSuiteOptions(missing), () => {
  let shimDir = '';
  let workDir = '';
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'lifeline-irecovery-'));
    shimDir = join(workDir, 'libusb-usbip');
    // The shim's folder may be read-only: always build into OUT.
    execFileSync('make', ['-s', '-C', SHIM_SOURCE, `OUT=${shimDir}`], { stdio: 'pipe', timeout: 120_000 });
  }, 130_000);

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startPhone(initialMode: PhoneMode): Promise<{ phone: PhoneHardware; server: SimUsbipServer }> {
    const model = findModelByProductType('iPhone6,1');
    if (!model) throw new Error('iPhone6,1 missing from the device table');
    const phone = new PhoneHardware({
      identity: { model, ecid: ECID, serialNumber: 'F17LX0AAFF9R', udid: 'udid-irecovery' },
      initialMode,
      timeFactor: 0.01,
    });
    const bus = new SimUsbBus([phone]);
    const server = await SimUsbipServer.start({ bus });
    cleanups.push(
      () => phone.dispose(),
      () => bus.close(),
      () => server.close(),
    );
    return { phone, server };
  }

  /** Async so the in-process server keeps answering; never rejects. */
  function irecovery(server: SimUsbipServer, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        tool!,
        args,
        { timeout: 30_000, encoding: 'utf8', env: { ...process.env, LIBUSB_USBIP_SERVER: server.address, LD_LIBRARY_PATH: shimDir } },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
      );
    });
  }

  function imageFile(size: number): { path: string; bytes: Buffer } {
    const bytes = randomBytes(size);
    const path = join(workDir, `image-${size}-${bytes.readUInt32LE(0)}.bin`);
    writeFileSync(path, bytes);
    return { path, bytes };
  }

  it('irecovery -q reports the DFU phone’s CPID, ECID, nonces and mode', async () => {
    const { server } = await startPhone('dfu');
    const run = await irecovery(server, ['-q']);
    expect(run.stdout).toContain('CPID: 0x8960');
    expect(run.stdout).toContain('ECID: 0x000a1b2c3d4e5f60');
    expect(run.stdout).toContain('SRTG: iBoot-1704.10');
    expect(run.stdout).toMatch(/NONC: [0-9a-f]{40}\n/);
    expect(run.stdout).toContain('MODE: DFU');
  });

  it('irecovery -q reports a recovery phone with its serial number', async () => {
    const { server } = await startPhone('recovery');
    const run = await irecovery(server, ['-q']);
    expect(run.stdout).toContain('ECID: 0x000a1b2c3d4e5f60');
    expect(run.stdout).toContain('SRNM: F17LX0AAFF9R');
    expect(run.stdout).toContain('MODE: Recovery');
  });

  it.each([
    [5000, false],
    [4096, true],
    [2040, true],
  ])(
    'irecovery -f of %i bytes in DFU: the phone holds the exact bytes with a valid suffix (separate: %s) and re-enumerates',
    async (size, separate) => {
      const { phone, server } = await startPhone('dfu');
      const resets: number[] = [];
      phone.on('usb-reset', () => resets.push(Date.now()));
      const before = phone.usbDevice();
      const image = imageFile(size);
      await irecovery(server, ['-f', image.path]);
      const upload = phone.uploads.at(-1);
      expect(upload?.mode).toBe('dfu');
      expect(upload?.complete).toBe(true);
      expect(upload?.dfu?.suffix).toBe('valid');
      expect(upload?.dfu?.separateSuffix).toBe(separate);
      expect(upload?.dfu?.finishValue).toBe(Math.ceil(size / 0x800));
      expect(upload?.payload().equals(image.bytes)).toBe(true);
      expect(resets).toHaveLength(1);
      expect(await waitFor(() => phone.usbDevice() !== null && phone.usbDevice() !== before, 3_000)).toBe(true);
      expect(phone.mode).toBe('dfu');
    },
  );

  it.each([0x8000 * 2 + 100, 0x8000 + 1024])('irecovery -f of %i bytes in recovery: the phone holds the exact bytes', async (size) => {
    const { phone, server } = await startPhone('recovery');
    const image = imageFile(size);
    await irecovery(server, ['-f', image.path]);
    const upload = phone.uploads.at(-1);
    expect(upload?.mode).toBe('recovery');
    expect(upload?.payload().equals(image.bytes)).toBe(true);
  });

  it('irecovery -c "setenv auto-boot true" reaches iBoot’s command line', async () => {
    const { phone, server } = await startPhone('recovery');
    const shell = phone.iBootShell;
    expect(shell?.getenv('auto-boot')).toBe('false');
    await irecovery(server, ['-c', 'setenv auto-boot true']);
    expect(shell?.transcript).toEqual(['setenv auto-boot true']);
    expect(shell?.getenv('auto-boot')).toBe('true');
  });

  it('irecovery -n exits recovery: auto-boot true saved, reboot, the phone starts up normally', async () => {
    const { phone, server } = await startPhone('recovery');
    const shell = phone.iBootShell;
    await irecovery(server, ['-n']);
    expect(shell?.transcript).toEqual(['setenv auto-boot true', 'saveenv', 'reboot']);
    expect(await waitFor(() => phone.mode === 'normal', 5_000)).toBe(true);
    expect(phone.nvram.get('auto-boot')).toBe('true');
  });
});
