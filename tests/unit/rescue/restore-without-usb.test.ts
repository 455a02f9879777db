import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { problemOf } from '../../../common/api';
import type { Phone } from '../../../common/phone';
import { printProblem } from '../../../main/cli/cli-output';
import { registerRestoreCommand } from '../../../main/cli/restore-command';
import { EXIT } from '../../../main/cli/exit-codes';
import { PhoneRegistry } from '../../../main/devices/phone-registry';
import type { FirmwareService } from '../../../main/firmware/firmware-service';
import { Engine } from '../../../main/rescue/engine';
import type { EngineContext } from '../../../main/rescue/engine-ports';
import { restoreHandlers } from '../../../main/rescue/handlers/restore-handlers';
import type { JobRunner } from '../../../main/rescue/jobs';
import { createInProcessClient } from '../../../main/transport/in-process';
import type { UsbBus, UsbBusStatus } from '../../../main/usb/usb-bus';

/** A computer whose USB cannot be used (as node-usb-bus reports a container without a USB subsystem). */
const BLOCKED: UsbBusStatus = {
  state: 'unavailable',
  reason: 'no-usb-subsystem',
  detail: 'This system has no USB subsystem Lifeline can use.',
  fix: 'Run Lifeline directly on a computer with the iPhone in one of its own USB ports.',
};

const blockedBus = (): UsbBus =>
  ({
    getDevices: async () => [],
    onConnect: () => () => undefined,
    onDisconnect: () => () => undefined,
    status: () => BLOCKED,
    close: () => undefined,
  }) as unknown as UsbBus;

const trustedPhone: Phone = {
  id: '001A2B3C4D5E6F70',
  mode: 'normal',
  model: { name: 'iPhone 5s (GSM)', productType: 'iPhone6,1', boardConfig: 'n51ap', cpid: 0x8960, bdid: 0, buttons: 'home', known: true },
  iosVersion: '12.5.8',
  buildVersion: '16H88',
  deviceName: 'Ada’s iPhone',
  connected: true,
  identifying: false,
  trusted: true,
  passcodeSet: true,
  triage: { canBackUp: true, headline: '', reason: '', nextSteps: [] },
};

function contextWith(phones: Phone[]): EngineContext {
  return {
    options: { version: 'test', usb: blockedBus(), firmware: {} as FirmwareService },
    jobs: {} as JobRunner,
    phones: () => phones,
    emit: () => undefined,
    on: () => () => undefined,
    whenClosing: () => undefined,
  };
}

const problemFrom = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => problemOf(error),
  );

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('a restore on a computer whose USB cannot be used', () => {
  it('says USB is unavailable, with the fix, instead of "no phone in DFU or recovery mode" (restore.toRamdisk)', async () => {
    const problem = await problemFrom(
      restoreHandlers(contextWith([]))['restore.toRamdisk']({ until: 'ramdisk' }, { transport: 'in-process' }),
    );
    expect(problem).toMatchObject({ code: 'usb-blocked', detail: BLOCKED.detail, nextSteps: [BLOCKED.fix] });
  });

  it('says so for a phone running iOS too: the restore would need USB once the phone is in recovery (restore.start)', async () => {
    const start = restoreHandlers(contextWith([trustedPhone]))['restore.start'](
      { choice: 'erase', confirmed: true, phoneId: trustedPhone.id },
      { transport: 'in-process' },
    );
    expect(await problemFrom(start)).toMatchObject({ code: 'usb-blocked', detail: BLOCKED.detail });
  });

  it('`lifeline restore` says so before it asks anything, in words and in JSON', async () => {
    const bus = blockedBus();
    const registry = await PhoneRegistry.start({ usb: bus });
    const folder = mkdtempSync(join(tmpdir(), 'lifeline-no-usb-'));
    folders.push(folder);
    const engine = new Engine({
      version: 'test',
      phones: registry,
      usb: bus,
      firmware: {} as FirmwareService,
      dataFolder: folder,
      journeyFolder: join(folder, 'journeys'),
    });
    const api = createInProcessClient(engine);
    const run = async (argv: string[], json: boolean) => {
      const out: string[] = [];
      const err: string[] = [];
      let code = -1;
      const program = new Command().exitOverride();
      registerRestoreCommand(program, {
        signal: new AbortController().signal,
        // As main/cli.ts runs a command: a Problem thrown by the engine is printed.
        withEngine: async (action) => {
          const output = { json, out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
          try {
            code = await action(api, output);
          } catch (error) {
            printProblem(output, error);
            code = EXIT.failed;
          }
        },
      });
      await program.parseAsync(argv, { from: 'user' });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    try {
      const words = await run(['restore', '--erase'], false);
      expect(words.code).toBe(EXIT.failed);
      expect(words.err).toContain(BLOCKED.detail);
      expect(words.err).toContain(BLOCKED.fix);
      expect(words.err).not.toMatch(/No phone to restore|DFU or recovery mode/);
      const json = await run(['restore', '--until', 'ramdisk'], true);
      expect(JSON.parse(json.out)).toMatchObject({ error: { code: 'usb-blocked' } });
    } finally {
      await engine.close();
    }
  });
});
