import { useCallback, useEffect, useRef, useState } from 'react';
import { problemOf, type CoachAttempt, type CommandResponse, type JobSummary } from '../../common/api';
import type { CoachGoal } from '../../common/coach-plans';
import { positionAt, stepBoundaries } from '../../common/coach-timeline';
import type { Phone } from '../../common/phone';
import { CoachChecklist } from '../components/coach-checklist';
import { CoachCountdown, useCoachClock } from '../components/coach-countdown';
import { CoachDrawing } from '../components/coach-drawing';
import { CoachOutcomePanel } from '../components/coach-outcome';
import { CoachPracticeButtons } from '../components/coach-practice-buttons';
import { CoachSound, loadSoundPrefs, saveSoundPrefs, type CoachSoundPrefs } from '../components/coach-sound';
import { CoachSteps } from '../components/coach-steps';
import { StatusAnnouncer } from '../components/status-announcer';
import { HOME } from '../navigation';
import { describeMode } from '../phone-words';
import { navigate } from '../store/lifeline-store';
import { useLifeline, useLifelineApi, useLifelineStore } from '../store/use-lifeline';

type PlanAnswer = CommandResponse<'coach.plan'>;

const GOALS: ReadonlyArray<{ goal: CoachGoal; label: string; hint: string }> = [
  { goal: 'recovery', label: 'Recovery mode', hint: 'The easy mode: the screen shows a cable and a computer. Enough for an Update or a restore.' },
  { goal: 'dfu-assisted', label: 'DFU mode — Lifeline restarts the phone for you (recommended)', hint: 'Needs the phone in recovery mode first. Only two timed presses.' },
  { goal: 'dfu-manual', label: 'DFU mode — buttons only', hint: 'For a phone that can’t be put in recovery mode first. More timed presses.' },
];

const MISSES_BEFORE_CHECKLIST = 2;

export function CoachScreen({ phoneId, intent }: { phoneId: string | null; intent: 'enter' | 'exit' }) {
  const store = useLifelineStore();
  const api = useLifelineApi();
  const clock = useCoachClock();
  const phones = useLifeline((s) => s.phones);
  const demo = useLifeline((s) => s.appInfo?.demo ?? false);
  const practicePhones = useLifeline((s) => s.practicePhones);
  const jobs = useLifeline((s) => s.jobs);

  const candidates = phones.filter((p) => p.connected || p.id === phoneId);
  const chosenId = phoneId ?? (candidates.length === 1 ? (candidates[0]?.id ?? null) : null);
  const phone = phones.find((p) => p.id === chosenId) ?? null;

  const [goal, setGoal] = useState<CoachGoal | null>(null);
  const [planAnswer, setPlanAnswer] = useState<PlanAnswer | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [attempt, setAttempt] = useState<CoachAttempt | null>(null);
  const [elapsed, setElapsed] = useState(0);
  const [checked, setChecked] = useState(false);
  const [prefs, setPrefs] = useState<CoachSoundPrefs>(() => loadSoundPrefs());
  const [shortcutJob, setShortcutJob] = useState<{ job: string; kind: 'enter' | 'exit' } | null>(null);
  const [windowNote, setWindowNote] = useState<string | null>(null);
  const [practiceNote, setPracticeNote] = useState<string | null>(null);
  const timing = useRef<{ id: string; startedAt: number } | null>(null);
  const lastSnapshot = useRef<CoachAttempt | null>(null);
  const lastStep = useRef(-2);
  const sound = useRef<CoachSound | null>(null);
  const prefsRef = useRef(prefs);
  const autoExit = useRef(false);

  useEffect(() => {
    prefsRef.current = prefs;
  }, [prefs]);
  useEffect(() => () => sound.current?.close(), []);

  const effectiveGoal: CoachGoal = goal ?? (phone?.mode === 'recovery' ? 'dfu-assisted' : 'recovery');
  const running = attempt !== null && (attempt.state === 'running' || attempt.state === 'watching');

  // The plan for this exact phone and goal.
  useEffect(() => {
    if (!chosenId || !phone?.connected || running) return;
    let live = true;
    api.invoke('coach.plan', { phoneId: chosenId, goal: effectiveGoal }).then(
      (answer) => {
        if (!live) return;
        setPlanAnswer(answer);
        setProblem(null);
      },
      (error: unknown) => {
        if (!live) return;
        setPlanAnswer(null);
        setProblem(problemOf(error)?.title ?? 'Lifeline could not make a plan for this phone.');
      },
    );
    return () => {
      live = false;
    };
  }, [api, chosenId, effectiveGoal, phone?.connected, phone?.mode, running]);

  const accept = (snapshot: CoachAttempt): void => {
      if (snapshot.phoneId !== chosenId) return;
      const isNew = timing.current?.id !== snapshot.attempt;
      if (isNew) {
        // Align once: the countdown runs from this start on our own monotonic clock.
        timing.current = { id: snapshot.attempt, startedAt: clock() - snapshot.elapsedMs };
        lastStep.current = -2;
        if (snapshot.state === 'running' && prefsRef.current.sound) {
          sound.current ??= new CoachSound();
          const bounds = stepBoundaries(snapshot.plan);
          sound.current.schedule(bounds.slice(1, -1).map((b) => ({ inMs: b - snapshot.elapsedMs, kind: 'step' as const })));
        }
      }
      const previous = lastSnapshot.current;
      if (snapshot.outcome && !(previous?.attempt === snapshot.attempt && previous.outcome)) {
        sound.current?.cancel();
        if (prefsRef.current.sound) {
          sound.current ??= new CoachSound();
          sound.current.schedule([{ inMs: 0, kind: 'done' }]);
        }
        if (prefsRef.current.voice) sound.current?.speak(snapshot.outcome.headline);
      }
      if (snapshot.state === 'cancelled') sound.current?.cancel();
      lastSnapshot.current = snapshot;
      setAttempt(snapshot);
      setElapsed(clock() - (timing.current?.startedAt ?? clock()));
  };
  const acceptRef = useRef(accept);
  useEffect(() => {
    acceptRef.current = accept;
  });
  useEffect(() => api.on('coach.changed', (snapshot) => acceptRef.current(snapshot)), [api]);

  // The countdown: redrawn every frame (and every 100 ms when frames stop in a background window), always
  // computed from the start time.
  const attemptId = attempt?.attempt;
  useEffect(() => {
    if (!running || !attemptId) return;
    let frame = 0;
    const tick = (): void => {
      const t = timing.current;
      if (!t || t.id !== attemptId) return;
      const now = clock() - t.startedAt;
      setElapsed(now);
      const current = lastSnapshot.current;
      if (current) {
        const index = positionAt(current.plan, now).stepIndex;
        if (index !== lastStep.current) {
          lastStep.current = index;
          const step = current.plan.steps[index];
          if (step && prefsRef.current.voice) sound.current?.speak(step.cue);
        }
      }
    };
    const loop = (): void => {
      tick();
      frame = requestAnimationFrame(loop);
    };
    frame = requestAnimationFrame(loop);
    const interval = setInterval(tick, 100);
    return () => {
      cancelAnimationFrame(frame);
      clearInterval(interval);
    };
  }, [running, attemptId, clock]);

  // The window losing focus never changes the timeline; say so.
  useEffect(() => {
    const onBlur = (): void => setWindowNote('This window is in the background. The countdown keeps time and the beeps still play.');
    const onFocus = (): void => setWindowNote(null);
    window.addEventListener('blur', onBlur);
    window.addEventListener('focus', onFocus);
    return () => {
      window.removeEventListener('blur', onBlur);
      window.removeEventListener('focus', onFocus);
    };
  }, []);

  const startShortcut = (kind: 'enter' | 'exit'): void => {
    if (!chosenId) return;
    setProblem(null);
    api.invoke(kind === 'exit' ? 'recovery.exit' : 'recovery.enter', { phoneId: chosenId }).then(
      ({ job }) => setShortcutJob({ job, kind }),
      (error: unknown) => setProblem(problemOf(error)?.title ?? 'That did not work.'),
    );
  };
  const startShortcutRef = useRef(startShortcut);
  useEffect(() => {
    startShortcutRef.current = startShortcut;
  });

  // "Exit recovery mode" on the card is one click: it starts here at once.
  useEffect(() => {
    if (intent !== 'exit' || autoExit.current || !phone || phone.mode !== 'recovery' || !phone.connected) return;
    autoExit.current = true;
    startShortcutRef.current('exit');
  }, [intent, phone]);

  const start = (): void => {
    if (!chosenId) return;
    setProblem(null);
    setChecked(false);
    api.invoke('coach.start', { phoneId: chosenId, goal: effectiveGoal }).then((snapshot) => acceptRef.current(snapshot), (error: unknown) => {
      const p = problemOf(error);
      setProblem(p ? `${p.title}. ${p.detail}` : 'The coach could not start.');
    });
  };

  const stop = (): void => {
    if (attempt) void api.invoke('jobs.cancel', { job: attempt.job }).catch(() => undefined);
  };

  const togglePrefs = (next: CoachSoundPrefs): void => {
    setPrefs(next);
    saveSoundPrefs(next);
    if (!next.sound) sound.current?.cancel();
  };

  const notePractice = useCallback((note: string) => setPracticeNote(note), []);

  const back = (
    <button type="button" className="back" onClick={() => navigate(store, HOME)}>
      Back to phones
    </button>
  );

  // Two phones and none chosen: ask which one, never guess (dfu-coach R11).
  if (!chosenId) {
    return (
      <main className="screen coach" aria-labelledby="coach-title">
        <h1 id="coach-title">Which phone?</h1>
        {back}
        {candidates.length === 0 ? (
          <p>No phone is connected. Plug one in with a data cable.</p>
        ) : (
          <>
            <p>More than one phone is connected. Choose the one you are holding — Lifeline will watch only that one.</p>
            <ul className="coach-choose">
              {candidates.map((p) => (
                <li key={p.id}>
                  <button type="button" onClick={() => navigate(store, { screen: 'coach', phoneId: p.id, intent })}>
                    {p.model.name}
                    {p.deviceName ? ` “${p.deviceName}”` : ''} — {describeMode(p.mode)} (ID …{p.id.slice(-6)})
                  </button>
                </li>
              ))}
            </ul>
          </>
        )}
        <StatusAnnouncer message={candidates.length > 1 ? 'Choose which phone to coach.' : 'No phone connected.'} />
      </main>
    );
  }

  const plan = running || attempt?.outcome ? (attempt?.plan ?? planAnswer?.plan ?? null) : (planAnswer?.plan ?? null);
  const position = attempt && plan ? positionAt(attempt.plan, elapsed) : null;
  const shortcut = shortcutJob ? jobs[shortcutJob.job] : undefined;
  const misses = Math.max(planAnswer?.missesInARow ?? 0, attempt?.outcome && !attempt.outcome.success ? attempt.missesBefore + 1 : 0);
  const gateOn = !running && misses >= MISSES_BEFORE_CHECKLIST;
  const practice = demo ? practicePhones.find((p) => p.id === chosenId) : undefined;
  const goalsHere = GOALS.filter((g) => phone?.mode !== 'recovery' || g.goal !== 'recovery');
  const status = statusLine({ phone, attempt, position, shortcut, shortcutKind: shortcutJob?.kind ?? null, problem });

  return (
    <main className="screen coach" aria-labelledby="coach-title">
      <h1 id="coach-title">{phone ? `${phone.model.name}: recovery and DFU mode` : 'Recovery and DFU mode'}</h1>
      {back}
      {!phone || !phone.connected ? (
        <p className="coach-away" role="note">
          {attempt && running
            ? 'The phone is away from USB right now — that is expected while it restarts. Keep following the steps.'
            : 'Lifeline can’t see this phone right now. Plug it back in; Lifeline recognises it by its chip ID.'}
        </p>
      ) : (
        <p className="lead">
          Now: {describeMode(phone.mode)}. Lifeline watches this phone (ID …{phone.id.slice(-6)}) and tells you when to let go.
        </p>
      )}
      {windowNote && running && <p role="note">{windowNote}</p>}

      {phone?.mode === 'recovery' && phone.connected && !running && (
        <section className="coach-exit" aria-labelledby="coach-exit-title">
          <h2 id="coach-exit-title">Stuck in recovery mode?</h2>
          <p>Lifeline can restart the phone normally without erasing anything.</p>
          <button type="button" className="primary" disabled={shortcut?.state === 'running'} onClick={() => startShortcut('exit')}>
            Exit recovery mode
          </button>
        </section>
      )}
      {shortcut && <ShortcutResult job={shortcut} kind={shortcutJob?.kind ?? 'enter'} />}

      {!running && phone?.connected && (
        <fieldset className="coach-goals">
          <legend>What do you need?</legend>
          {goalsHere.map((g) => (
            <label key={g.goal}>
              <input type="radio" name="coach-goal" value={g.goal} checked={effectiveGoal === g.goal} onChange={() => setGoal(g.goal)} />
              {g.label}
              <span className="coach-goal-hint">{g.hint}</span>
            </label>
          ))}
        </fieldset>
      )}
      {!running && phone?.mode === 'normal' && phone.connected && (
        <p>
          {phone.trusted ? (
            <button type="button" onClick={() => startShortcut('enter')} disabled={shortcut?.state === 'running'}>
              Put into recovery mode for me
            </button>
          ) : (
            'This phone doesn’t trust this computer, so Lifeline can’t switch it to recovery mode by itself: the buttons will do it.'
          )}
        </p>
      )}

      {problem && (
        <p role="alert" className="coach-problem">
          {problem}
        </p>
      )}

      {attempt?.outcome && <CoachOutcomePanel outcome={attempt.outcome} notes={attempt.notes} />}
      {running && position && plan && !attempt.outcome && <CoachCountdown plan={attempt.plan} position={position} />}
      {running && attempt.notes.length > 0 && (
        <ul className="coach-notes" aria-label="What happened so far">
          {attempt.notes.map((note, index) => (
            <li key={index}>{note}</li>
          ))}
        </ul>
      )}

      {!running && plan && planAnswer && (
        <section className="coach-preview" aria-labelledby="coach-preview-title">
          <h2 id="coach-preview-title">{attempt?.outcome ? 'Try again' : 'Read this first, then press Start'}</h2>
          <div className="coach-preview-body">
            <CoachSteps plan={plan} />
            <CoachDrawing plan={plan} hold={[]} ready={plan.steps.find((s) => s.buttons.length > 0)?.buttons ?? []} />
          </div>
          <p>{plan.expectedScreen}</p>
          {plan.safety.map((line) => (
            <p key={line} className="coach-safety">
              {line}
            </p>
          ))}
          {(gateOn || !attempt) && (
            <CoachChecklist checks={planAnswer.hostChecks} title={gateOn ? 'Two misses in a row: check these before the next try' : 'Before you start'} />
          )}
          {gateOn && (
            <label className="coach-gate">
              <input type="checkbox" checked={checked} onChange={(event) => setChecked(event.target.checked)} />I have gone through the list
            </label>
          )}
          <button type="button" className="primary coach-start" disabled={gateOn && !checked} onClick={start}>
            {attempt?.outcome ? 'Start again' : 'Start'}
          </button>
          <details className="coach-getting-out">
            <summary>Getting out again</summary>
            <ul>
              {plan.gettingOut.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          </details>
        </section>
      )}
      {attempt?.outcome?.showHostChecks && planAnswer && !gateOn && <CoachChecklist checks={planAnswer.hostChecks} title="Check these" />}
      {running && (
        <button type="button" onClick={stop}>
          Stop
        </button>
      )}

      <fieldset className="coach-sound">
        <legend>Sound</legend>
        <label>
          <input type="checkbox" checked={prefs.sound} onChange={(event) => togglePrefs({ ...prefs, sound: event.target.checked })} />
          Beep at each step
        </label>
        <label>
          <input type="checkbox" checked={prefs.voice} onChange={(event) => togglePrefs({ ...prefs, voice: event.target.checked })} />
          Speak each step
        </label>
      </fieldset>

      {practice && <CoachPracticeButtons phone={practice} onNote={notePractice} />}
      {practiceNote && <p role="note">{practiceNote}</p>}

      <StatusAnnouncer message={status} />
    </main>
  );
}

function ShortcutResult({ job, kind }: { job: JobSummary; kind: 'enter' | 'exit' }) {
  const title = kind === 'exit' ? 'Exit recovery mode' : 'Recovery mode by software';
  return (
    <section className="coach-shortcut" aria-label={title} data-state={job.state}>
      {job.state === 'running' && <p>{job.progress?.message ?? 'Working…'}</p>}
      {job.state === 'succeeded' && <p>{kind === 'exit' ? 'Done: the phone is starting normally.' : 'Done: the phone is in recovery mode.'}</p>}
      {job.state === 'failed' && job.problem && (
        <>
          <p>
            <strong>{job.problem.title}.</strong> {job.problem.detail}
          </p>
          <ul>
            {job.problem.nextSteps.map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ul>
        </>
      )}
      {job.state === 'cancelled' && <p>Stopped.</p>}
    </section>
  );
}

/** The one live sentence: changes once per step, on an outcome, and on a shortcut's progress. */
function statusLine(input: {
  phone: Phone | null;
  attempt: CoachAttempt | null;
  position: ReturnType<typeof positionAt> | null;
  shortcut: JobSummary | undefined;
  shortcutKind: 'enter' | 'exit' | null;
  problem: string | null;
}): string {
  const { attempt, position, shortcut } = input;
  if (attempt?.outcome) return attempt.outcome.headline;
  if (attempt?.state === 'cancelled') return 'Coach stopped.';
  if (attempt && position) return position.step ? position.step.text : 'Keep holding until Lifeline says to let go.';
  if (shortcut) {
    if (shortcut.state === 'running') return shortcut.progress?.message ?? 'Working…';
    if (shortcut.state === 'succeeded') return input.shortcutKind === 'exit' ? 'Done: the phone is starting normally.' : 'Done: the phone is in recovery mode.';
    if (shortcut.state === 'failed') return shortcut.problem?.title ?? 'That did not work.';
  }
  if (input.problem) return input.problem;
  return input.phone ? `${input.phone.model.name}: ${describeMode(input.phone.mode)}. Choose what you need, read the steps, then press Start.` : '';
}
