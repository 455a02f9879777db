/**
 * A technician's bench: four trusted, locked practice phones taken through the rescue journey at once through the
 * engine — backup, iOS, the typed erase, recovery by software, restore, the backup put back, new passcode, done. The
 * phones run in a practice host of their own (as in `npm run sim:practice`), joined over usbmuxd and USB/IP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JourneySnapshot, LifelineApi, PracticePhone } from '../../common/api';
import { createAppEngine } from '../../main/rescue/create-engine';
import type { Engine } from '../../main/rescue/engine';
import { startPracticeHost, type PracticeHost } from '../../main/sim/practice-host';
import { servePracticeHost, type PracticeHostServer } from '../../main/sim/practice-host-server';
import type { ScenarioInput } from '../../main/sim/scenario';
import { createInProcessClient } from '../../main/transport/in-process';
import { journeyIn, practicePhone } from './journey-practice';

const TIME_FACTOR = 0.05;
const filesystem = {
  seed: 'bench',
  fileCount: 40,
  totalBytes: 400_000,
  personal: { photos: 6, videos: 1, messages: 50, contacts: 10, notes: 3 },
};
// Trusted and unlocked since they started (a backup needs no passcode typed on the phone before iOS 16.1).
const PHONES: ScenarioInput[] = [
  {
    seed: 'bench-5s',
    model: { productType: 'iPhone6,1' },
    ios: '12.5.8',
    deviceName: 'Bench 1',
    trusted: true,
    passcodeSet: true,
    locked: true,
    filesystem,
    timeFactor: TIME_FACTOR,
  },
  {
    seed: 'bench-7',
    model: { productType: 'iPhone9,3' },
    ios: '15.8.3',
    deviceName: 'Bench 2',
    trusted: true,
    passcodeSet: true,
    locked: true,
    filesystem,
    timeFactor: TIME_FACTOR,
  },
  {
    seed: 'bench-6',
    model: { productType: 'iPhone7,2' },
    ios: '12.5.8',
    deviceName: 'Bench 3',
    trusted: true,
    passcodeSet: true,
    locked: true,
    filesystem,
    timeFactor: TIME_FACTOR,
  },
  {
    seed: 'bench-x',
    model: { productType: 'iPhone10,3' },
    ios: '16.0',
    deviceName: 'Bench 4',
    trusted: true,
    passcodeSet: true,
    locked: true,
    filesystem,
    timeFactor: TIME_FACTOR,
  },
];

let dir: string;
let host: PracticeHost;
let server: PracticeHostServer;
let engine: Engine | undefined;
let api: LifelineApi;
const saved = { data: process.env.LIFELINE_DATA_DIR, backups: process.env.LIFELINE_BACKUP_DIR };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeline-four-phones-'));
  process.env.LIFELINE_DATA_DIR = dir;
  process.env.LIFELINE_BACKUP_DIR = join(dir, 'backups');
  host = await startPracticeHost({ phones: PHONES });
  server = await servePracticeHost(host);
  engine = await createAppEngine({ demo: true, practiceHost: { url: server.url, token: server.token }, reconnectGraceMs: 120_000 });
  api = createInProcessClient(engine);
});

afterEach(async () => {
  await engine?.close();
  await server.close();
  await host.close();
  for (const [key, value] of [
    ['LIFELINE_DATA_DIR', saved.data],
    ['LIFELINE_BACKUP_DIR', saved.backups],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** The phone's journey once `ready` holds for it (now or on a later journey.changed); a failure state rejects. */
function journeyWhen(phoneId: string, ready: (snapshot: JourneySnapshot) => boolean): Promise<JourneySnapshot> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const check = (snapshot: JourneySnapshot): void => {
      if (settled || snapshot.phoneId !== phoneId) return;
      if (['backupFailed', 'firmwareFailed', 'restoreFailed', 'dataFailed'].includes(snapshot.state)) {
        settled = true;
        off();
        reject(new Error(`${snapshot.name}: ${snapshot.state} ${snapshot.problem?.code ?? ''} ${snapshot.problem?.detail ?? ''}`));
      } else if (ready(snapshot)) {
        settled = true;
        off();
        resolve(snapshot);
      }
    };
    const off = api.on('journey.changed', check);
    api.invoke('journey.list', {}).then((journeys) => journeys.forEach(check), reject);
  });
}

/** One phone's whole journey, as its person would take it; the hands are the practice controls. */
async function rescue(name: string, hands: PracticePhone): Promise<JourneySnapshot> {
  const phone = await practicePhone(api, name);
  await api.invoke('journey.start', { phoneId: phone.id });
  await journeyIn(api, phone.id, 'choosing');
  await api.invoke('journey.act', { phoneId: phone.id, action: 'backUp' });
  await journeyIn(api, phone.id, 'confirmErase');
  await api.invoke('journey.act', { phoneId: phone.id, action: 'confirmErase', typed: 'erase' });
  // The erased phone waits in its setup assistant until its person chooses "From Mac or PC".
  await journeyWhen(phone.id, (s) => s.state === 'restoringData' && /From Mac or PC/.test(s.progress?.message ?? ''));
  await api.invoke('practice.act', { phoneId: hands.id, action: 'choose-restore-from-computer' });
  await journeyWhen(phone.id, (s) => s.state === 'newPasscode');
  await api.invoke('journey.act', { phoneId: phone.id, action: 'passcodeSet' });
  return journeyWhen(phone.id, (s) => s.state === 'done');
}

describe('four practice phones at once', () => {
  it('takes each through backup, restore and its data back to done, side by side', async () => {
    const hands = await api.invoke('practice.phones', {});
    const handsOf = (name: string): PracticePhone => hands.find((p) => p.name.includes(`“${name}”`))!;
    const names = PHONES.map((phone) => phone.deviceName!);
    const done = await Promise.all(names.map((name) => rescue(name, handsOf(name))));
    expect(done.map((journey) => journey.name)).toEqual(names);
    for (const journey of done) {
      expect(journey).toMatchObject({ state: 'done', chosenBackup: { label: 'the backup from today' } });
      expect(journey.safety.status).toBe('saved');
    }
    // Each phone's restore ran on its own phone: four restores, four different firmware builds where the models differ.
    expect(new Set(done.map((journey) => journey.firmware?.build)).size).toBe(4);
  }, 600_000);
});
