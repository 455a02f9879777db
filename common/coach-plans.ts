/**
 * The coach's timelines as data (docs/protocols/coach.md#button-families to docs/protocols/coach.md#manual-dfu): for each button family and goal, the steps with their
 * durations and the buttons named as the user sees them on that exact model. Pure: used by the engine (which
 * referees and sends the assisted reboot), the renderer (countdown, drawing, sound) and the CLI (`dfu-plan`).
 */
import type { ButtonFamily } from './device-table';

export type CoachGoal = 'recovery' | 'dfu-assisted' | 'dfu-manual';
export type CoachButton = 'home' | 'power' | 'volumeUp' | 'volumeDown';
export type PowerButtonName = 'Power' | 'Side' | 'Top';
export type CoachStepKind = 'get-ready' | 'tap' | 'hold';

export type CoachStep = {
  id: string;
  kind: CoachStepKind;
  /** Real-world duration; a practice phone's plan is scaled by CoachPlan.timeScale. */
  durationMs: number;
  /** Buttons that are down during this step. */
  buttons: CoachButton[];
  /** Buttons to put a finger on now for the next step (get-ready). */
  prepare: CoachButton[];
  /** What the screen says while the person's hands are busy: 12 words at most. */
  text: string;
  /** The short spoken cue at the start of the step (R13). */
  cue: string;
  /** Assisted DFU: the app restarts the phone out of recovery this far into the step (docs/protocols/coach.md#assisted-dfu: +2 s). */
  appRebootAtMs: number | null;
  /** The coach may stop here the moment USB shows this mode (R4). */
  stopsOn: 'dfu' | 'recovery' | null;
};

export type CoachModelFacts = { productType: string; name: string; buttons: ButtonFamily };

export type CoachPlan = {
  goal: CoachGoal;
  family: ButtonFamily;
  productType: string;
  modelName: string;
  /** The model's own names for its buttons (only the buttons it has). */
  buttonNames: Partial<Record<CoachButton, string>>;
  /** Where the power button sits on the drawing. */
  powerButtonAt: 'top' | 'side';
  hasHomeButton: boolean;
  /** The mode the phone must be in before starting ('any' = normal or recovery). */
  startsFrom: 'recovery' | 'any';
  steps: CoachStep[];
  /** Sum of the steps' durations (unscaled). */
  totalMs: number;
  /** 1 for a real phone; a practice phone's timeFactor. Every duration is multiplied by it when run. */
  timeScale: number;
  /** R15: what the phone shows when the goal is reached. */
  expectedScreen: string;
  /** R12: safety notes shown before Start. */
  safety: string[];
  /** docs/protocols/coach.md#getting-out: how to get out again. */
  gettingOut: string[];
};

/** docs/protocols/coach.md#requirements: a 3–5 s "get ready" lead-in (LeetDown uses 5 s). */
export const GET_READY_MS = 5_000;
/** docs/protocols/coach.md#assisted-dfu: both buttons 4 s, the app reboots at +2 s, then the single button 10 s. */
export const ASSISTED_BOTH_MS = 4_000;
export const ASSISTED_REBOOT_AT_MS = 2_000;
export const ASSISTED_SINGLE_MS = 10_000;
/** docs/protocols/coach.md#manual-dfu, Legacy-iOS-Kit: taps 1 s each; volume-side Side 10 s → Side + Volume Down 5 s → Volume Down 8 s. */
export const TAP_MS = 1_000;
export const SIDE_ALONE_MS = 10_000;
export const SIDE_AND_VOLUME_DOWN_MS = 5_000;
/** docs/protocols/coach.md#manual-dfu: home / volume-down-side both buttons 10 s (8 s if the phone starts in recovery), then the single button 8 s. */
export const MANUAL_BOTH_MS = 10_000;
export const MANUAL_BOTH_FROM_RECOVERY_MS = 8_000;
export const MANUAL_SINGLE_MS = 8_000;
/**
 * docs/protocols/coach.md#recovery-mode: hold "through the Apple logo until the recovery screen". No tool gives a number; the restart takes
 * ~10 s of holding and the recovery screen follows a few seconds after the logo, so the step is long and ends
 * early the moment USB shows recovery.
 */
export const RECOVERY_SIDE_HOLD_MS = 20_000;
export const RECOVERY_BOTH_HOLD_MS = 25_000;

const VOLUME_SIDE_WITH_HOME = new Set(['iPhone10,1', 'iPhone10,2', 'iPhone10,4', 'iPhone10,5', 'iPhone12,8', 'iPhone14,6']);

/** The model has a Home button (iPhone 7's solid-state one and SE 2/3's exist but play no part in the recipes). */
export function hasHomeButton(model: CoachModelFacts): boolean {
  return model.buttons === 'home' || model.buttons === 'volume-down-side' || VOLUME_SIDE_WITH_HOME.has(model.productType);
}

/** What the user calls the power button (docs/protocols/coach.md#button-families: Side on 6/6s and later, Top on SE 1 / iPod / iPad, Power before). */
export function powerButtonName(model: CoachModelFacts): PowerButtonName {
  const type = model.productType;
  if (type.startsWith('iPod') || type.startsWith('iPad')) return 'Top';
  if (model.buttons !== 'home') return 'Side';
  if (type === 'iPhone8,4') return 'Top';
  if (/^iPhone(7|8),/.test(type)) return 'Side';
  return 'Power';
}

export function buttonNamesFor(model: CoachModelFacts): Partial<Record<CoachButton, string>> {
  const names: Partial<Record<CoachButton, string>> = { power: powerButtonName(model) };
  if (hasHomeButton(model)) names.home = 'Home';
  // The first iPod touch had no volume buttons.
  if (!model.productType.startsWith('iPod1,')) {
    names.volumeUp = 'Volume Up';
    names.volumeDown = 'Volume Down';
  }
  return names;
}

/** docs/protocols/coach.md#button-families: the two buttons down at the restart for DFU, and the one kept down alone afterwards. */
export function dfuButtonsOf(family: ButtonFamily): { both: [CoachButton, CoachButton]; single: CoachButton } {
  return family === 'home' ? { both: ['home', 'power'], single: 'home' } : { both: ['power', 'volumeDown'], single: 'volumeDown' };
}

function step(fields: Partial<CoachStep> & Pick<CoachStep, 'id' | 'kind' | 'durationMs' | 'text' | 'cue'>): CoachStep {
  return { buttons: [], prepare: [], appRebootAtMs: null, stopsOn: null, ...fields };
}

function and(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

export type PlanOptions = {
  /** Phone mode when the plan is made: a phone already in recovery resets sooner (docs/protocols/coach.md#manual-dfu: 8 s instead of 10 s). */
  startMode?: 'normal' | 'recovery' | 'dfu' | 'other';
  timeScale?: number;
};

/** The coach's timeline for one model and goal. */
export function planFor(model: CoachModelFacts, goal: CoachGoal, options: PlanOptions = {}): CoachPlan {
  const family = model.buttons;
  const names = buttonNamesFor(model);
  const name = (b: CoachButton): string => names[b] ?? b;
  const { both, single } = dfuButtonsOf(family);
  const power = name('power');
  // "Hold Home and Side" / "Hold Side and Volume Down" — the order users read in Apple's and the tools' wording.
  const bothWords = family === 'home' ? and([name('home'), power]) : and([power, name('volumeDown')]);
  const steps: CoachStep[] = [];
  const getReady = (prepare: CoachButton[], what: string): CoachStep =>
    step({ id: 'get-ready', kind: 'get-ready', durationMs: GET_READY_MS, prepare, text: `Get ready: ${what}`, cue: 'Get ready' });
  const taps = (): CoachStep[] => [
    step({
      id: 'tap-volume-up',
      kind: 'tap',
      durationMs: TAP_MS,
      buttons: ['volumeUp'],
      text: 'Press and quickly release Volume Up',
      cue: 'Tap Volume Up',
    }),
    step({
      id: 'tap-volume-down',
      kind: 'tap',
      durationMs: TAP_MS,
      buttons: ['volumeDown'],
      text: 'Press and quickly release Volume Down',
      cue: 'Tap Volume Down',
    }),
  ];

  if (goal === 'dfu-assisted') {
    steps.push(
      getReady(both, `fingers on ${bothWords}. Don't press yet.`),
      step({
        id: 'hold-both',
        kind: 'hold',
        durationMs: ASSISTED_BOTH_MS,
        buttons: [...both],
        text: `Press and hold ${bothWords}. Lifeline restarts the phone.`,
        cue: `Hold ${bothWords}`,
        appRebootAtMs: ASSISTED_REBOOT_AT_MS,
      }),
      step({
        id: 'hold-single',
        kind: 'hold',
        durationMs: ASSISTED_SINGLE_MS,
        buttons: [single],
        text: `Let go of ${power}. Keep holding ${name(single)}.`,
        cue: `Release ${power}, keep holding ${name(single)}`,
        stopsOn: 'dfu',
      }),
    );
  } else if (goal === 'dfu-manual') {
    if (family === 'volume-side') {
      steps.push(
        getReady(['volumeUp', 'volumeDown', 'power'], `phone flat, fingers on Volume Up, Volume Down and ${power}.`),
        ...taps(),
        step({
          id: 'hold-side',
          kind: 'hold',
          durationMs: SIDE_ALONE_MS,
          buttons: ['power'],
          text: `Press and hold ${power}. The screen goes black.`,
          cue: `Hold ${power}`,
        }),
        step({
          id: 'hold-both',
          kind: 'hold',
          durationMs: SIDE_AND_VOLUME_DOWN_MS,
          buttons: ['power', 'volumeDown'],
          text: `Keep holding ${power} and also press and hold Volume Down.`,
          cue: `Add Volume Down, keep holding ${power}`,
        }),
        step({
          id: 'hold-single',
          kind: 'hold',
          durationMs: MANUAL_SINGLE_MS,
          buttons: ['volumeDown'],
          text: `Let go of ${power}. Keep holding Volume Down.`,
          cue: `Release ${power}, keep holding Volume Down`,
          stopsOn: 'dfu',
        }),
      );
    } else {
      const bothMs = options.startMode === 'recovery' ? MANUAL_BOTH_FROM_RECOVERY_MS : MANUAL_BOTH_MS;
      steps.push(
        getReady(both, `fingers on ${bothWords}. Don't press yet.`),
        step({
          id: 'hold-both',
          kind: 'hold',
          durationMs: bothMs,
          buttons: [...both],
          text: `Press and hold ${bothWords}. The screen goes black.`,
          cue: `Hold ${bothWords}`,
        }),
        step({
          id: 'hold-single',
          kind: 'hold',
          durationMs: MANUAL_SINGLE_MS,
          buttons: [single],
          text: `Let go of ${power}. Keep holding ${name(single)}.`,
          cue: `Release ${power}, keep holding ${name(single)}`,
          stopsOn: 'dfu',
        }),
      );
    }
  } else if (family === 'volume-side') {
    steps.push(
      getReady(['volumeUp', 'volumeDown', 'power'], `fingers on Volume Up, Volume Down and ${power}.`),
      ...taps(),
      step({
        id: 'hold-side',
        kind: 'hold',
        durationMs: RECOVERY_SIDE_HOLD_MS,
        buttons: ['power'],
        text: `Press and hold ${power}, through the Apple logo.`,
        cue: `Hold ${power}`,
        stopsOn: 'recovery',
      }),
    );
  } else {
    steps.push(
      getReady(both, `fingers on ${bothWords}. Don't press yet.`),
      step({
        id: 'hold-both',
        kind: 'hold',
        durationMs: RECOVERY_BOTH_HOLD_MS,
        buttons: [...both],
        text: `Press and hold ${bothWords}, through the Apple logo.`,
        cue: `Hold ${bothWords}`,
        stopsOn: 'recovery',
      }),
    );
  }

  const dfuGoal = goal !== 'recovery';
  const safety: string[] = [];
  if (family === 'volume-side' && goal !== 'dfu-assisted') {
    safety.push(
      `Start with the Volume Up tap. Pressing ${power} together with a volume button on a running phone opens Emergency SOS — if the SOS slider or a countdown appears, let go and cancel it.`,
    );
  }
  if (dfuGoal) {
    safety.push(
      'Getting into DFU mode erases nothing. From here Lifeline can update iOS, which keeps the data but keeps the passcode too (it does not get past a forgotten one), or erase the phone, which deletes everything, the passcode with it.',
    );
  }
  return {
    goal,
    family,
    productType: model.productType,
    modelName: model.name,
    buttonNames: names,
    powerButtonAt: powerButtonName(model) === 'Side' ? 'side' : 'top',
    hasHomeButton: hasHomeButton(model),
    startsFrom: goal === 'dfu-assisted' ? 'recovery' : 'any',
    steps,
    totalMs: steps.reduce((sum, s) => sum + s.durationMs, 0),
    timeScale: options.timeScale ?? 1,
    expectedScreen: dfuGoal
      ? 'DFU mode: the screen stays completely black. That is correct — DFU shows nothing.'
      : 'Recovery mode: the screen shows a cable pointing at a computer.',
    safety,
    gettingOut: [
      family === 'home'
        ? `To leave DFU or recovery mode by hand: hold Home and ${power} until the Apple logo appears.`
        : family === 'volume-down-side'
          ? `To leave DFU or recovery mode by hand: hold Volume Down and ${power} until the Apple logo appears.`
          : `To leave DFU or recovery mode by hand: tap Volume Up, tap Volume Down, then hold ${power} until the Apple logo appears.`,
      'Lifeline can also take a phone out of recovery mode with one click, without erasing anything.',
    ],
  };
}
