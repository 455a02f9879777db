import type { TaskMeta } from 'vitest';
import { describe, expect, it } from 'vitest';
import { collectPeerSkips, peerSkipsLine, type PeerModuleView } from '../peers/peer-skip-reporter';
import { irecoveryOverUsbipNeeds, needFile, needTool, peerSkipReason, peerSuiteOptions } from '../peers/peer-tool';

const installed =
  (...tools: string[]) =>
  (tool: string) =>
    tools.includes(tool) ? `/usr/bin/${tool}` : null;
const files =
  (...paths: string[]) =>
  (path: string) =>
    paths.includes(path);

function peerModule(file: string, suites: TaskMeta[], states: string[], project = 'peers'): PeerModuleView {
  return {
    moduleId: `/repo/tests/peers/${file}`,
    project: { name: project },
    children: {
      allSuites: () => suites.map((meta) => ({ meta: () => meta })),
      allTests: () => states.map((state) => ({ result: () => ({ state }) })),
    },
  };
}

describe('peer test prerequisites', () => {
  it('says which Debian package brings a missing tool', () => {
    const reason = peerSkipReason([needTool('ideviceinfo', 'libimobiledevice-utils', installed())]);
    expect(reason).toBe('ideviceinfo (not installed: apt-get install libimobiledevice-utils)');
  });

  it('has nothing to say when every tool is there', () => {
    expect(peerSkipReason([needTool('plistutil', 'libplist-utils', installed('plistutil'))])).toBeNull();
  });

  it('names every missing piece for irecovery over USB/IP, including an unset shim folder', () => {
    const reason = peerSkipReason(irecoveryOverUsbipNeeds('', installed('make', 'gcc'), files()));
    expect(reason).toBe(
      'irecovery (not installed: apt-get install irecovery), libusb.h (not installed: apt-get install libusb-1.0-0-dev), ' +
        'libusb-usbip shim (source not found: set LIFELINE_LIBUSB_USBIP_SRC to its folder)',
    );
  });

  it('finds the shim by its Makefile in the folder it was given', () => {
    const needs = irecoveryOverUsbipNeeds(
      '/src/shim',
      installed('irecovery', 'make', 'gcc'),
      files('/usr/include/libusb-1.0/libusb.h', '/src/shim/Makefile'),
    );
    expect(peerSkipReason(needs)).toBeNull();
    expect(
      peerSkipReason([
        needFile('idevicebackup2', '/usr/bin/idevicebackup2', 'not installed: apt-get install libimobiledevice-utils', files()),
      ]),
    ).toBe('idevicebackup2 (not installed: apt-get install libimobiledevice-utils)');
  });

  it('carries the reason on the suite, and nothing when the suite runs', () => {
    expect(peerSuiteOptions('irecovery (not installed: apt-get install irecovery)')).toEqual({
      meta: { peerSkip: 'irecovery (not installed: apt-get install irecovery)' },
    });
    expect(peerSuiteOptions(null)).toEqual({ meta: {} });
  });
});

describe('the peers summary line', () => {
  it('says none when every peer suite ran', () => {
    const modules = [peerModule('ideviceinfo.test.ts', [{}], ['passed', 'passed'])];
    expect(peerSkipsLine(collectPeerSkips(modules))).toBe('peers skipped: none');
  });

  it('names each skipped peer file once with its reason, in order, and ignores other projects', () => {
    const reason = 'idevicebackup2 (not installed: apt-get install libimobiledevice-utils)';
    const modules = [
      peerModule('idevicebackup2.test.ts', [{ peerSkip: reason }, { peerSkip: reason }], ['skipped', 'skipped']),
      peerModule('backup-interop.test.ts', [{ peerSkip: reason }], ['skipped']),
      peerModule('ideviceinfo.test.ts', [{}], ['passed']),
      peerModule('lockdown-client.test.ts', [{ peerSkip: 'not a peer' }], ['skipped'], 'integration'),
    ];
    expect(peerSkipsLine(collectPeerSkips(modules))).toBe(`peers skipped: backup-interop (${reason}), idevicebackup2 (${reason})`);
  });

  it('still names a peer file whose tests all skipped without a stated reason', () => {
    const modules = [peerModule('new-tool.test.ts', [{}], ['skipped', 'skipped'])];
    expect(peerSkipsLine(collectPeerSkips(modules))).toBe('peers skipped: new-tool (skipped without a stated reason)');
  });
});
