/**
 * `lifeline recovery enter|exit [--phone ID]` — the coach's software shortcuts (docs/protocols/coach.md#recovery-mode, docs/protocols/coach.md#getting-out);
 * `lifeline dfu-plan --device iPhone10,1 [--goal …]` — the coach's timeline for a model, to read or script against.
 */
import { ProblemError, type CoachGoalName, type JobSummary, type LifelineApi } from '../../common/api';
import type { Phone } from '../../common/phone';
import type { ShortcutResult } from '../coach/recovery-shortcuts';
import type { RegisterCommand } from './cli-context';
import { printProblem, printResult, type Output } from './cli-output';
import { settledSnapshot } from './devices-command';
import { EXIT } from './exit-codes';
import { SHOW_ECID_HELP, phonesMatching, shownPhoneId } from './phone-ids';
import { publicIdOfPhone } from '../devices/public-phone-id';

const GOALS: readonly CoachGoalName[] = ['recovery', 'dfu-assisted', 'dfu-manual'];
const JOB_TIMEOUT_MS = 5 * 60_000;

/** The phone to act on: --phone (see phonesMatching), or the only one connected; never a guess between two. */
export function choosePhone(phones: Phone[], wanted: string | undefined, showEcid = false): Phone {
  const connected = phones.filter((p) => p.connected);
  const list = connected.map((p) => `${p.model.name} [${shownPhoneId(p.id, showEcid)}]`);
  if (wanted) {
    const matches = phonesMatching(connected, wanted);
    if (matches.length === 1 && matches[0]) return matches[0];
    throw new ProblemError(matches.length > 1 ? 'ambiguous-phone' : 'no-such-phone', { connected: list });
  }
  if (connected.length === 1 && connected[0]) return connected[0];
  throw connected.length === 0 ? new ProblemError('no-phone') : new ProblemError('which-phone', { connected: list });
}

/** Waits for a job to end, printing its progress messages for people (stderr keeps stdout clean for --json). */
export async function awaitJob(api: LifelineApi, job: string, output: Output, signal: AbortSignal): Promise<JobSummary> {
  let lastMessage = '';
  return new Promise<JobSummary>((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(new Error('The job did not finish in time.'))), JOB_TIMEOUT_MS);
    const offProgress = api.on('progress', (progress) => {
      if (progress.job !== job || output.json || progress.message === lastMessage) return;
      lastMessage = progress.message;
      output.err(progress.message);
    });
    const offJobs = api.on('jobs.changed', (summary) => {
      if (summary.job === job && summary.state !== 'running') finish(() => resolve(summary));
    });
    const onAbort = (): void => void api.invoke('jobs.cancel', { job }).catch(() => undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    // The job may have ended before we subscribed.
    void api.invoke('jobs.list', {}).then((jobs) => {
      const summary = jobs.find((j) => j.job === job);
      if (summary && summary.state !== 'running') finish(() => resolve(summary));
    });
    function finish(settle: () => void): void {
      clearTimeout(timer);
      offProgress();
      offJobs();
      signal.removeEventListener('abort', onAbort);
      settle();
    }
  });
}

async function recoveryCommand(
  api: LifelineApi,
  output: Output,
  direction: 'enter' | 'exit',
  options: { phone?: string; showEcid: boolean },
  signal: AbortSignal,
): Promise<number> {
  const { phones } = await settledSnapshot(api);
  let phone: Phone;
  try {
    phone = choosePhone(phones, options.phone, options.showEcid);
  } catch (error) {
    printProblem(output, error);
    return EXIT.noDevice;
  }
  const { job } = await api.invoke(direction === 'enter' ? 'recovery.enter' : 'recovery.exit', { phoneId: phone.id });
  const summary = await awaitJob(api, job, output, signal);
  if (summary.state === 'cancelled') return EXIT.cancelled;
  if (summary.state === 'failed' || summary.state === 'interrupted') {
    printProblem(output, summary.problem ? ProblemError.forward(summary.problem) : new ProblemError('job-failed'));
    return EXIT.failed;
  }
  // The job's result names the phone by its registry id (the ECID): scripts get the opaque id instead.
  const phoneId = publicIdOfPhone(phone.id);
  const result = summary.result !== undefined && summary.result !== null ? { ...(summary.result as ShortcutResult), phoneId } : null;
  printResult(output, { phoneId, result }, () =>
    direction === 'enter' ? `${phone.model.name} is in recovery mode.` : `${phone.model.name} left recovery mode and is starting normally.`,
  );
  return EXIT.ok;
}

async function dfuPlanCommand(api: LifelineApi, output: Output, device: string, goal: CoachGoalName): Promise<number> {
  const { plan, hostChecks } = await api.invoke('coach.plan', { productType: device, goal });
  printResult(output, { plan, hostChecks }, () => {
    const lines = [`${plan.modelName} (${plan.productType}) — ${goal}`, ''];
    let at = 0;
    for (const step of plan.steps) {
      lines.push(
        `${(at / 1000).toFixed(0).padStart(3)} s  ${step.kind === 'tap' ? 'tap ' : `${(step.durationMs / 1000).toFixed(0)} s `.padStart(5)} ${step.text}`,
      );
      at += step.durationMs;
    }
    lines.push('', plan.expectedScreen, ...plan.safety, '', 'Before you start:', ...hostChecks.map((c) => `  • ${c.title}: ${c.detail}`));
    return lines.join('\n');
  });
  return EXIT.ok;
}

export const registerCoachCommands: RegisterCommand = (program, { withEngine, signal }) => {
  const recovery = program
    .command('recovery')
    .description('put a trusted phone into recovery mode, or take a phone out of it without erasing');
  for (const direction of ['enter', 'exit'] as const) {
    recovery
      .command(direction)
      .description(
        direction === 'enter'
          ? 'restart a trusted, running phone into recovery mode'
          : 'leave recovery mode: auto-boot on, restart normally',
      )
      .option('--phone <id>', 'the phone (ID from `lifeline devices`; needed when several are connected)')
      .option('--show-ecid', SHOW_ECID_HELP, false)
      .action((options: { phone?: string; showEcid: boolean }) =>
        withEngine((api, output) => recoveryCommand(api, output, direction, options, signal)),
      );
  }
  program
    .command('dfu-plan')
    .description('show the timed button steps into DFU or recovery mode for a model')
    .requiredOption('--device <productType>', 'the model, e.g. iPhone10,1')
    .option('--goal <goal>', `one of ${GOALS.join(', ')}`, 'dfu-assisted')
    .action((options: { device: string; goal: string }) =>
      withEngine(async (api, output) => {
        if (!GOALS.includes(options.goal as CoachGoalName)) {
          printProblem(output, new ProblemError('usage', { option: 'goal', allowed: GOALS }));
          return EXIT.usage;
        }
        return dfuPlanCommand(api, output, options.device, options.goal as CoachGoalName);
      }),
    );
};
