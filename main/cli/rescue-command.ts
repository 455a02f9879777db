/**
 * `lifeline rescue`: the same journey as the app (docs/journey.md), in the terminal. One question at a time, the erase
 * confirmed by typing its word (unless --yes), a live cli-progress bar per running step, and resumable: the journey
 * is saved by the engine, so running the command again continues where it stopped. `--json` prints one JSON line per
 * transition for scripts.
 */
import { Presets, SingleBar } from 'cli-progress';
import { ProblemError, type JourneyActRequest, type JourneySnapshot, type LifelineApi } from '../../common/api';
import type { RegisterCommand } from './cli-context';
import { printProblem, type Output } from './cli-output';
import { settledSnapshot } from './devices-command';
import { EXIT } from './exit-codes';
import { phonesMatching } from './phone-ids';

type RescueOptions = { phone?: string; yes: boolean };
type Decision = Omit<JourneyActRequest, 'phoneId'>;
const BAR_STEPS = 1000;
const MAX_MESSAGE = 48;

/** One live bar per running job (cli-progress); within a job it never goes backwards. */
export class JourneyProgressBar {
  private bar: SingleBar | null = null;
  private job: string | null = null;
  private value = 0;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  show(snapshot: JourneySnapshot): void {
    const progress = snapshot.progress;
    if (snapshot.job === null || progress === null) return;
    if (snapshot.job !== this.job) {
      this.stop();
      this.job = snapshot.job;
      this.value = 0;
      this.bar = new SingleBar(
        {
          stream: this.stream,
          format: ' {bar} {percentage}% | {stage}{left}',
          hideCursor: false,
          clearOnComplete: false,
          barsize: 30,
          noTTYOutput: false,
        },
        Presets.shades_classic,
      );
      this.bar.start(BAR_STEPS, 0, { stage: '', left: '' });
    }
    if (progress.fraction !== null) this.value = Math.max(this.value, Math.round(progress.fraction * BAR_STEPS));
    const left = progress.etaSeconds !== undefined ? ` | ${formatSeconds(progress.etaSeconds)} left` : '';
    this.bar?.update(this.value, { stage: progress.message.slice(0, MAX_MESSAGE), left });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
    this.job = null;
  }
}

function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

/** What --json prints per transition: the screen's content, the phone by its opaque public id only. */
export function journeyJsonLine(snapshot: JourneySnapshot): string {
  return JSON.stringify({
    event: 'journey',
    phoneId: snapshot.publicId,
    state: snapshot.state,
    step: snapshot.step,
    stepIndex: snapshot.stepIndex,
    stepTotal: snapshot.stepTotal,
    title: snapshot.title,
    message: snapshot.message,
    safety: snapshot.safety,
    notice: snapshot.notice,
    problem: snapshot.problem,
    next: snapshot.next?.id ?? null,
    secondary: snapshot.secondary.map((action) => action.id),
    firmware: snapshot.firmware,
  });
}

function describe(output: Output, snapshot: JourneySnapshot): void {
  if (output.json) {
    output.out(journeyJsonLine(snapshot));
    return;
  }
  const lines = [`[${snapshot.stepIndex + 1}/${snapshot.stepTotal}] ${snapshot.title} — ${snapshot.name}`, `  ${snapshot.safety.line}`];
  if (snapshot.message) lines.push(`  ${snapshot.message}`);
  if (snapshot.notice) lines.push(`  ! ${snapshot.notice}`);
  output.out(lines.join('\n'));
  if (snapshot.problem) printProblem({ ...output, json: false }, { problem: snapshot.problem });
  if (snapshot.confirmation) {
    const { willBeLost, comesBack, activationLock } = snapshot.confirmation;
    output.out(
      [
        '  What is erased:',
        ...willBeLost.map((line) => `    • ${line}`),
        `  What comes back: ${comesBack}`,
        `  Activation Lock: ${activationLock}`,
      ].join('\n'),
    );
  }
  if (snapshot.passcodeGuidance) output.out(snapshot.passcodeGuidance.map((line, index) => `  ${index + 1}. ${line}`).join('\n'));
}

/** The phone to rescue: the one --phone names, else the only phone connected. */
async function phoneToRescue(
  api: LifelineApi,
  output: Output,
  wanted: string | undefined,
): Promise<{ phoneId: string } | { exit: number }> {
  const { phones } = await settledSnapshot(api);
  const known = phones.filter((p) => p.connected && !p.identifying);
  const matches = wanted !== undefined ? phonesMatching(known, wanted) : known;
  const [phone] = matches;
  if (matches.length === 1 && phone) return { phoneId: phone.id };
  printProblem(output, new ProblemError(matches.length > 1 ? 'journey-which-phone' : 'journey-no-phone'));
  return { exit: EXIT.noDevice };
}

/** The person's answer to the current screen (one question), or how the command ends. */
async function decide(output: Output, snapshot: JourneySnapshot, yes: boolean): Promise<Decision | { exit: number }> {
  const next = snapshot.next!;
  // Every state whose first offer is "Try again" is a failure (a missed coach try too): --yes stops there, saved.
  if (yes && next.id === 'retry') return { exit: EXIT.failed };
  if (snapshot.state === 'backupPassword') {
    if (!output.askSecret) return needsPerson(output);
    const password = await output.askSecret('The backup’s password (never saved; Enter to go without it): ');
    const other = snapshot.secondary.find((action) => action.id === 'goBack' || action.id === 'skipBackupRestore');
    if (password === '') return other ? { action: other.id } : { exit: EXIT.cancelled };
    return { action: 'checkPassword', password };
  }
  if (yes)
    return snapshot.state === 'confirmErase'
      ? { action: 'confirmErase', typed: snapshot.confirmation!.phrase }
      : { action: next.id, ...(next.backupId ? { backupId: next.backupId } : {}) };
  if (!output.ask) return needsPerson(output);
  if (snapshot.state === 'confirmErase') {
    const typed = (
      await output.ask(`Type “${snapshot.confirmation!.phrase}” to erase ${snapshot.name}, or press Enter to go back: `)
    ).trim();
    return typed === '' ? { action: 'goBack' } : { action: 'confirmErase', typed };
  }
  if (snapshot.state === 'newPasscode' || snapshot.state === 'coachReady') {
    await output.ask(`Press Enter: ${next.label}. `);
    return { action: next.id };
  }
  const choices = [next, ...snapshot.secondary];
  output.out(choices.map((action, index) => `  ${index + 1}) ${action.label}`).join('\n'));
  for (;;) {
    const answer = (await output.ask(`Choose 1–${choices.length} [1]: `)).trim();
    const index = answer === '' ? 0 : Number.parseInt(answer, 10) - 1;
    const chosen = choices[index];
    if (chosen) return { action: chosen.id, ...(chosen.backupId ? { backupId: chosen.backupId } : {}) };
  }
}

function needsPerson(output: Output): { exit: number } {
  printProblem(output, new ProblemError('journey-needs-person'));
  return { exit: EXIT.usage };
}

export async function rescueCommand(
  api: LifelineApi,
  output: Output,
  signal: AbortSignal,
  options: RescueOptions,
  progressStream: NodeJS.WritableStream | null,
): Promise<number> {
  const chosen = await phoneToRescue(api, output, options.phone);
  if ('exit' in chosen) return chosen.exit;
  const { phoneId } = chosen;
  let latest = await api.invoke('journey.start', { phoneId });
  if (latest.state === 'done' || latest.state === 'cancelled') {
    await api.invoke('journey.forget', { phoneId });
    latest = await api.invoke('journey.start', { phoneId });
  }
  const bar = progressStream && !output.json ? new JourneyProgressBar(progressStream) : null;
  let wake: () => void = () => undefined;
  let shown: JourneySnapshot['state'] | null = null;
  const off = api.on('journey.changed', (snapshot) => {
    if (snapshot.phoneId !== phoneId) return;
    latest = snapshot;
    if (snapshot.state === shown) bar?.show(snapshot);
    wake();
  });
  const onAbort = () => wake();
  signal.addEventListener('abort', onAbort);
  try {
    while (!signal.aborted) {
      const current = latest;
      if (current.state !== shown) {
        bar?.stop();
        describe(output, current);
        shown = current.state;
      }
      if (current.state === 'done') return EXIT.ok;
      if (current.state === 'cancelled') return EXIT.cancelled;
      if (current.next === null) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (latest !== current || signal.aborted) resolve();
        });
        continue;
      }
      const decision = await decide(output, current, options.yes);
      if ('exit' in decision) return decision.exit;
      try {
        latest = await api.invoke('journey.act', { phoneId, ...decision });
      } catch (error) {
        printProblem(output, error);
        shown = null;
        if (options.yes) return EXIT.failed;
      }
    }
    output.err('Stopped. The journey is saved: run `lifeline rescue` again to continue where it stopped.');
    return EXIT.cancelled;
  } finally {
    bar?.stop();
    off();
    signal.removeEventListener('abort', onAbort);
  }
}

export const registerRescueCommand: RegisterCommand = (program, { withEngine, signal }) => {
  program
    .command('rescue')
    .description(
      'the whole rescue of one phone, step by step: what can be saved, backup, iOS, erase, recovery, restore, data back, new passcode (run again to continue)',
    )
    .option('--phone <id>', 'the phone, by the id `lifeline devices --json` prints (or its ECID as shown), when several are connected')
    .option('--yes', 'take the suggested answer at every step without asking (the erase too); stops at the first failure', false)
    .action((options: RescueOptions) =>
      withEngine((api, output) => rescueCommand(api, output, signal, options, process.stderr.isTTY ? process.stderr : null)),
    );
};
