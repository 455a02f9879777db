/**
 * Debian's unmodified idevicerestore 1.0.0 erases the virtual iPhone 5s: over USB/IP through the libusb shim for DFU
 * and recovery, over the fake usbmuxd in restore mode, signed by the practice signing server reached as its http
 * proxy. Its signing requests and the phone's record of its restore are held against Lifeline's for the same phone
 * and IPSW; every difference must be the documented, justified one (docs/protocols/tss.md#lifeline-vs-idevicerestore-100,
 * docs/protocols/restored.md#lifeline-vs-idevicerestore-100).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlistDict } from '../../main/plist/plist-value';
import { startFakeTssServer, type FakeTssServer } from '../../main/sim/fake-tss-server';
import { virtualFilesystemOf } from '../../main/sim/services';
import type { VirtualIphone } from '../../main/sim/virtual-iphone';
import { A7_RESTORE_PHONE, A7_RESTORE_SPEC, restoreA7WithLifeline, type LifelineA7Restore } from '../integration/lifeline-a7-restore';
import { waitForMode } from '../integration/sim-restore-host';
import { buildLibusbShim, restoreWithIdevicerestore, type IdevicerestoreRun } from './idevicerestore-run';
import { idevicerestoreOverUsbipNeeds, peerSkipReason, peerSuiteOptions, whichTool } from './peer-tool';
import { codeSpans, markdownTableUnder, restoreRecordDifferences, signingRequestDifferences } from './restore-host-differences';

const SHIM_SOURCE = process.env.LIFELINE_LIBUSB_USBIP_SRC ?? '';
const tool = whichTool('idevicerestore');
const missing = peerSkipReason(idevicerestoreOverUsbipNeeds(SHIM_SOURCE));
const DOCS = path.resolve(import.meta.dirname, '../../docs/protocols');
const COMPARISON = 'Lifeline vs idevicerestore 1.0.0';
/** Apple's signing addresses idevicerestore 1.0.0 tries over https before plain http. */
const APPLE_HTTPS_HOSTS = ['gs.apple.com:443', '17.171.36.30:443', '17.151.36.30:443'];

/** A phone after an erase: setup assistant, Unactivated, no passcode, no pairing, nothing on it, the new iOS. */
function expectFreshPhone(phone: VirtualIphone): void {
  expect(phone.lockdownValue(undefined, 'ActivationState')).toBe('Unactivated');
  expect(phone.lockdownValue('com.apple.purplebuddy', 'SetupDone')).toBe(false);
  expect(phone.lockdownValue(undefined, 'PasswordProtected')).toBe(false);
  expect(phone.lockdownValue(undefined, 'ProductVersion')).toBe(A7_RESTORE_SPEC.version);
  expect(phone.pairedHostIds()).toEqual([]);
  expect(virtualFilesystemOf(phone).fileCount).toBe(0);
}

function expectFinishedRestore(run: IdevicerestoreRun): void {
  expect(run.code, run.output).toBe(0);
  expect(run.record).toMatchObject({
    label: 'idevicerestore',
    behavior: 'Erase',
    status: { code: 0 },
    finalStatusAcknowledged: true,
    outcome: 'finished',
  });
  expect(run.record!.dataRequests.filter((request) => !request.answered || request.rejected !== null)).toEqual([]);
  expect(run.record!.asr).toMatchObject({ outcome: 'received', digestMatches: true, bytesReceived: A7_RESTORE_SPEC.osBytes });
}

describe.skipIf(missing !== null)(
  `idevicerestore 1.0.0 restores the virtual phone${missing ? ` (skipped: ${missing})` : ''}`,
  peerSuiteOptions(missing),
  () => {
    let workDir = '';
    let shimDir = '';
    let tss: FakeTssServer;
    let peer: IdevicerestoreRun;
    let peerSigning: PlistDict[] = [];
    let peerRequestLines: string[] = [];
    let ours: LifelineA7Restore;
    let ourSigning: PlistDict[] = [];
    const cleanups: (() => Promise<void>)[] = [];

    beforeAll(async () => {
      workDir = mkdtempSync(path.join(tmpdir(), 'lifeline-idevicerestore-peer-'));
      shimDir = path.join(workDir, 'libusb-usbip');
      buildLibusbShim(SHIM_SOURCE, shimDir);
      tss = await startFakeTssServer();
      // The same signing server, phone identity and IPSW for both hosts: only the host differs.
      peer = await restoreWithIdevicerestore({
        tool: tool!,
        shimDir,
        spec: A7_RESTORE_SPEC,
        phone: A7_RESTORE_PHONE,
        tss,
        route: 'apple',
        cleanups,
      });
      peerSigning = [...tss.requests];
      peerRequestLines = [...tss.requestLines];
      ours = await restoreA7WithLifeline({ behavior: 'Erase', tss, cleanups });
      ourSigning = tss.requests.slice(peerSigning.length);
    }, 300_000);

    afterAll(async () => {
      while (cleanups.length > 0) await cleanups.pop()!();
      await tss?.close();
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    it('erases a phone that starts in DFU through to the acknowledged final status; the phone reboots as a fresh phone', async () => {
      expectFinishedRestore(peer);
      expect(peer.output).toContain('Status: Restore Finished');
      await waitForMode(peer.phone, 'normal');
      expectFreshPhone(peer.phone);
    });

    it('reaches the signing server only as Apple’s plain-http address through the proxy, after its https tries are refused', () => {
      const connects = peerRequestLines.filter((line) => line.startsWith('CONNECT '));
      const others = peerRequestLines.filter((line) => !line.startsWith('CONNECT '));
      expect(new Set(connects)).toEqual(new Set(APPLE_HTTPS_HOSTS.map((host) => `CONNECT ${host}`)));
      // One AP request, then one baseband request without the modem's nonce and one with it: nothing else left the tool.
      expect(others).toEqual(Array(3).fill('POST http://gs.apple.com/TSS/controller?action=2'));
      expect(
        peerSigning.map((request) =>
          request['@ApImg4Ticket'] === true ? 'AP' : request.BbNonce === undefined ? 'baseband' : 'baseband+nonce',
        ),
      ).toEqual(['AP', 'baseband', 'baseband+nonce']);
    });

    it('asks the signing server what Lifeline asks for the same phone and IPSW, but for the documented keys', () => {
      expect(ours.result?.outcome).toBe('restored');
      const documented = markdownTableUnder(path.join(DOCS, 'tss.md'), COMPARISON).flatMap(([key = '', kinds = '']) =>
        codeSpans(kinds).flatMap((kind) => codeSpans(key).map((name) => `${kind} ${name}`)),
      );
      expect(signingRequestDifferences(peerSigning, ourSigning)).toEqual([...documented].sort());
    });

    it('the phone records the same restore from both hosts, but for the documented differences', () => {
      expect(ours.record).toMatchObject({ label: 'lifeline', outcome: 'finished', finalStatusAcknowledged: true });
      const documented = markdownTableUnder(path.join(DOCS, 'restored.md'), COMPARISON).flatMap(([field = '']) => codeSpans(field));
      expect(restoreRecordDifferences(peer.record!, ours.record)).toEqual([...documented].sort());
    });

    it('erases a phone that starts in recovery, signed through -s (a plain-http signing address, no https tries)', async () => {
      const before = tss.requestLines.length;
      const run = await restoreWithIdevicerestore({
        tool: tool!,
        shimDir,
        spec: A7_RESTORE_SPEC,
        phone: { ...A7_RESTORE_PHONE, mode: 'recovery' },
        tss,
        route: 'cydia',
        cleanups,
      });
      expectFinishedRestore(run);
      expect(run.output).toContain('Found device in Recovery mode');
      expect(tss.requestLines.slice(before)).toEqual(Array(3).fill('POST http://cydia.saurik.com/TSS/controller?action=2'));
      await waitForMode(run.phone, 'normal');
      expectFreshPhone(run.phone);
    }, 240_000);
  },
);
