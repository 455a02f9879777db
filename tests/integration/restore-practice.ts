/**
 * The real engine over practice phones chosen by the test (the app's practice mode with other virtual phones): fake
 * usbmuxd, simulated USB bus, practice firmware catalogs and CDN, practice signing server. Restores go through the
 * contract (`restore.start`) exactly as the app and the command line start them.
 */
import type { JobSummary, LifelineApi, Problem, RestoreResult, RestoreStartRequest } from '../../common/api';
import type { Phone } from '../../common/phone';
import { CoachService } from '../../main/coach/coach-service';
import { startHostRegistry } from '../../main/devices/host-sources';
import { FirmwareService } from '../../main/firmware/firmware-service';
import { Engine } from '../../main/rescue/engine';
import type { RestoreProgressRecord } from '../../main/restore/restore-progress';
import { startPracticeHost, type PracticeHost } from '../../main/sim/practice-host';
import type { ScenarioInput } from '../../main/sim/scenario';
import type { VirtualIphone } from '../../main/sim/virtual-iphone';
import { createInProcessClient } from '../../main/transport/in-process';
import { UsbmuxClient } from '../../main/usbmux/usbmux-client';

export type RestorePractice = {
  api: LifelineApi;
  host: PracticeHost;
  phone: VirtualIphone;
  close(): Promise<void>;
};

export async function startRestorePractice(scenario: ScenarioInput): Promise<RestorePractice> {
  const host = await startPracticeHost({ phones: [{ timeFactor: 0.01, ...scenario }] });
  const phones = await startHostRegistry({ usb: host.usb, usbmuxAddress: host.usbmuxAddress, reconnectGraceMs: 60_000 });
  const engine = new Engine({
    name: 'Lifeline',
    version: 'test',
    demo: true,
    phones,
    practice: host.practice,
    coach: new CoachService({ phones, usbmux: new UsbmuxClient({ address: host.usbmuxAddress }) }),
    firmware: new FirmwareService(host.firmware.settings),
    usb: host.usb,
    restore: { tssUrl: host.tss.url, usbmuxAddress: host.usbmuxAddress },
    onClose: host.close,
  });
  return { api: createInProcessClient(engine), host, phone: host.sim.phones[0]!, close: () => engine.close() };
}

/** The phone (by id when given) as the registry shows it, once it is connected in `mode` and has said who it is. */
export async function phoneIn(api: LifelineApi, mode: Phone['mode'], id?: string): Promise<Phone> {
  return new Promise((resolve) => {
    const check = (phones: Phone[]): boolean => {
      // A phone running iOS has said who it is once it has told its iOS version (even to a computer it does not trust).
      const said = (p: Phone): boolean => !p.identifying && (p.mode !== 'normal' || p.iosVersion !== null);
      const phone = phones.find((p) => p.connected && said(p) && p.mode === mode && (id === undefined || p.id === id));
      if (phone) resolve(phone);
      return phone !== undefined;
    };
    const off = api.on('devices.changed', (phones) => {
      if (check(phones)) off();
    });
    void api.invoke('devices.list', {}).then((phones) => {
      if (check(phones)) off();
    });
  });
}

export type RestoreEnding = {
  state: JobSummary['state'];
  result: RestoreResult | null;
  problem: Problem | null;
  progress: RestoreProgressRecord[];
};

/** Starts a restore through the contract and waits for its job to end, keeping every progress record. */
export async function restoreThroughEngine(api: LifelineApi, request: RestoreStartRequest): Promise<RestoreEnding> {
  const progress: RestoreProgressRecord[] = [];
  let jobId: string | null = null;
  const early: JobSummary[] = [];
  let finish: (summary: JobSummary) => void = () => undefined;
  const ended = new Promise<JobSummary>((resolve) => (finish = resolve));
  const offJobs = api.on('jobs.changed', (summary) => {
    if (summary.state === 'running') return;
    if (jobId === null) early.push(summary);
    else if (summary.job === jobId) finish(summary);
  });
  const offProgress = api.on('progress', (p) => {
    if (p.job === jobId) progress.push(p as RestoreProgressRecord);
  });
  try {
    const { job } = await api.invoke('restore.start', request);
    jobId = job;
    const already = early.find((s) => s.job === job);
    if (already) finish(already);
    const summary = await ended;
    return { state: summary.state, result: (summary.result as RestoreResult | undefined) ?? null, problem: summary.problem, progress };
  } finally {
    offJobs();
    offProgress();
  }
}
