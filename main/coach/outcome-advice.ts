/**
 * What the coach says for each outcome (docs/protocols/coach.md#outcome-table, docs/protocols/coach.md#host-checks, docs/protocols/coach.md#requirements), specific to
 * the goal, the button family and the model's own button names, and to how many misses came before.
 */
import { dfuButtonsOf, type CoachGoal, type CoachPlan } from '../../common/coach-plans';
import type { CoachOutcome, CoachOutcomeKind, HostChecklist } from '../../common/contract/coach';
import { LINUX_UDEV_RULE_LOCAL_PATH, LINUX_UDEV_RULE_PACKAGED_PATH } from '../usb/linux-udev-rule';

export type AdviceInput = {
  kind: CoachOutcomeKind;
  plan: Pick<CoachPlan, 'goal' | 'family' | 'buttonNames' | 'productType'>;
  /** Misses in a row before this attempt (this one not counted). */
  missesBefore: number;
  /** How the phone was when the attempt started. */
  startMode: string;
};

/** Two misses in a row and the next try starts with the cable / port checklist (docs/protocols/coach.md#timeline-rules). */
export const MISSES_BEFORE_CHECKLIST = 2;

export function isSuccess(kind: CoachOutcomeKind, goal: CoachGoal): boolean {
  return goal === 'recovery' ? kind === 'recovery' : kind === 'dfu';
}

export function adviceFor(input: AdviceInput): CoachOutcome {
  const { kind, plan } = input;
  const name = (b: 'home' | 'power' | 'volumeUp' | 'volumeDown'): string => plan.buttonNames[b] ?? b;
  const power = name('power');
  const { single } = dfuButtonsOf(plan.family);
  const singleName = name(single);
  const dfuGoal = plan.goal !== 'recovery';
  const success = isSuccess(kind, plan.goal);
  const missesNow = success ? 0 : input.missesBefore + 1;
  const cableStep = cableAdvice(plan.productType);

  switch (kind) {
    case 'dfu':
      return {
        kind,
        success: dfuGoal,
        letGo: true,
        headline: dfuGoal ? 'Got it — let go. The phone is in DFU mode.' : 'Let go — the phone went one step further, into DFU mode.',
        detail: 'A black screen is normal in DFU: the phone shows nothing while it waits for the computer.',
        nextSteps: dfuGoal
          ? ['Leave the cable plugged in. Lifeline can restore the phone from here.']
          : ['A restore works from DFU mode too.', 'To get back to normal, force-restart the phone (see "Getting out").'],
        showHostChecks: false,
      };
    case 'recovery': {
      if (!dfuGoal) {
        return {
          kind,
          success: true,
          letGo: true,
          headline: 'Got it — let go. The phone is in recovery mode.',
          detail: 'The screen shows a cable pointing at a computer. That is recovery mode (DFU mode would be completely black).',
          nextSteps: ['Leave the cable plugged in.', 'To leave recovery mode without erasing anything, use "Exit recovery mode".'],
          showHostChecks: false,
        };
      }
      const nextSteps =
        plan.goal === 'dfu-assisted'
          ? [
              `Next time press ${bothWords(plan, name)} before the countdown reaches 0, and keep both down until it says to let go of ${power}.`,
              `Let go of ${power} the moment the coach says so — not later — and keep holding ${singleName}.`,
            ]
          : plan.family === 'volume-side'
            ? [
                `Add Volume Down as soon as the screen goes black, then let go of ${power} sooner — when the coach says so.`,
                `Keep holding Volume Down after letting go of ${power}.`,
              ]
            : [`Let go of ${power} sooner: right when the count for both buttons ends, and keep holding ${singleName}.`];
      if (missesNow >= MISSES_BEFORE_CHECKLIST) nextSteps.push(cableStep);
      return {
        kind,
        success: false,
        letGo: true,
        headline: `Close: the phone is in recovery mode (a cable and a computer), not DFU.`,
        detail: `You held the right button (${singleName}) while the phone started, but both buttons were not down at the moment it restarted, or ${power} was let go too early or too late.`,
        nextSteps,
        showHostChecks: missesNow >= MISSES_BEFORE_CHECKLIST,
      };
    }
    case 'normal': {
      const nextSteps = !dfuGoal
        ? [`Keep holding ${recoveryWords(plan, name)} through the Apple logo, until the cable-and-computer screen appears.`]
        : plan.family === 'volume-side' && plan.goal === 'dfu-manual'
          ? [
              `Add Volume Down as soon as the screen goes black.`,
              `Let go of ${power} earlier — when the coach says — and keep holding Volume Down.`,
            ]
          : [
              `Keep holding ${singleName} after you let go of ${power}, until the coach says to stop.`,
              `Don't let go of everything at once.`,
            ];
      if (missesNow >= MISSES_BEFORE_CHECKLIST) nextSteps.push(cableStep);
      return {
        kind,
        success: false,
        letGo: true,
        headline: dfuGoal ? 'Apple logo: the moment was missed.' : 'Apple logo, then the phone started normally: you let go too early.',
        detail: dfuGoal
          ? `The phone started normally because ${singleName} was not held while it restarted.`
          : 'The phone needs the button held until the recovery screen, not just until the Apple logo.',
        nextSteps,
        showHostChecks: missesNow >= MISSES_BEFORE_CHECKLIST,
      };
    }
    case 'nothing':
      return {
        kind,
        success: false,
        letGo: true,
        headline: "Lifeline can't see the phone.",
        detail:
          'No Apple device appeared on USB after the phone went away. If its screen shows the Apple logo, wait: it may still be starting. If the screen stays black, this computer may not see it.',
        nextSteps: [
          'Check the list below: cable, port, and this computer’s USB settings.',
          'Then unplug the phone, plug it back in, and try again.',
        ],
        showHostChecks: true,
      };
    case 'no-restart': {
      const sos = plan.family === 'volume-side' && input.startMode === 'normal' && plan.goal !== 'dfu-assisted';
      return {
        kind,
        success: false,
        letGo: true,
        headline: 'The phone did not restart.',
        detail: sos
          ? `If the Emergency SOS slider or a countdown appeared, let go now and cancel it. Pressing ${power} with a volume button on a running phone opens Emergency SOS.`
          : plan.goal === 'dfu-assisted'
            ? 'Lifeline sent the restart but the phone stayed where it was.'
            : `The phone needs ${bothWords(plan, name)} held for the whole count before it restarts.`,
        nextSteps: sos
          ? ['Start again from the Volume Up tap: tap Volume Up, tap Volume Down, then hold Side.']
          : plan.goal === 'dfu-assisted'
            ? ['Unplug and replug the phone, then try again.']
            : [`Press both buttons firmly at the same moment and keep holding until the screen goes black.`],
        showHostChecks: missesNow >= MISSES_BEFORE_CHECKLIST,
      };
    }
  }
}

function bothWords(plan: Pick<CoachPlan, 'family'>, name: (b: 'home' | 'power' | 'volumeDown') => string): string {
  return plan.family === 'home' ? `${name('home')} and ${name('power')}` : `${name('power')} and ${name('volumeDown')}`;
}

function recoveryWords(plan: Pick<CoachPlan, 'family'>, name: (b: 'home' | 'power' | 'volumeDown') => string): string {
  return plan.family === 'volume-side' ? name('power') : bothWords(plan, name);
}

/** USB-C iPhones: iPhone 15 (iPhone15,4 / 15,5) and later. */
export function hasUsbCPort(productType: string): boolean {
  const match = /^iPhone(\d+),(\d+)$/.exec(productType);
  if (!match) return productType.startsWith('iPad') && Number(productType.slice(4).split(',')[0]) >= 13;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  return major >= 16 || (major === 15 && minor >= 4);
}

function cableAdvice(productType: string): string {
  return hasUsbCPort(productType)
    ? 'Check the cable: use a USB-C cable that carries data (the one from the box is best), straight into the computer.'
    : 'Check the cable: Apple USB-C-to-Lightning cables stop many phones entering DFU — use a USB-A-to-Lightning cable (with a USB-C-to-A adapter if needed).';
}

/** The host checks (docs/protocols/coach.md#host-checks) for this computer and phone: shown before the first try, after "nothing", and after two misses. */
export function hostChecks(platform: string, productType: string): HostChecklist {
  const checks: HostChecklist = [
    hasUsbCPort(productType)
      ? {
          id: 'cable',
          title: 'Use a data cable',
          detail:
            'A standards-compliant USB-C cable that carries data — the one from the box is best. Charge-only cables are invisible to the computer.',
        }
      : {
          id: 'cable',
          title: 'Use a USB-A to Lightning cable',
          detail:
            'Apple USB-C-to-Lightning cables are known to stop phones entering DFU mode. Use a USB-A cable, with a small USB-C-to-A adapter if your computer only has USB-C.',
        },
    {
      id: 'port',
      title: 'Plug straight into the computer',
      detail:
        'No hub, dock, monitor or keyboard port, and a rear port on a desktop (front panels often fail). Not inside a virtual machine. The computer must be switched on.',
    },
  ];
  if (platform === 'linux') {
    checks.push({
      id: 'linux-udev',
      title: 'Linux: allow access to Apple devices',
      detail: `Lifeline’s .deb installs the udev rule that lets you reach a phone in recovery or DFU mode (${LINUX_UDEV_RULE_PACKAGED_PATH}). With another install, create ${LINUX_UDEV_RULE_LOCAL_PATH} as the USB note says, then unplug and replug the phone.`,
    });
  } else if (platform === 'win32') {
    checks.push({
      id: 'windows-driver',
      title: 'Windows: Apple’s driver',
      detail:
        'Install Apple Devices (or iTunes) so Apple’s USB driver is present. If a tool like Zadig replaced it with libusbK/WinUSB, put Apple’s driver back in Device Manager.',
    });
  } else if (platform === 'darwin') {
    checks.push({
      id: 'mac-finder',
      title: 'Mac: close the Finder message',
      detail:
        'If Finder says the phone needs to be updated or restored, close that message — don’t click Restore or Update. On an Apple silicon Mac, allow the accessory to connect if asked.',
    });
  }
  return checks;
}
