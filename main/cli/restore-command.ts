import {
  ProblemError,
  type LifelineApi,
  type RestoreChoice,
  type RestoreRamdiskResult,
  type RestoreResult,
  type RestoreStartRequest,
  type RestoreToRamdiskRequest,
} from '../../common/api';
import type { Phone } from '../../common/phone';
import type { RegisterCommand } from './cli-context';
import { printProblem, printResult, type Output } from './cli-output';
import { settledSnapshot } from './devices-command';
import { activationLockLines, proveBackupBeforeErase } from './erase-checks';
import { EXIT } from './exit-codes';
import { followJob, type JobEnding } from './follow-job';
import { personPath } from './person-path';
import { namesPhone, phonesMatching, shownPhoneId } from './phone-ids';

type RestoreOptions = {
  ipsw?: string;
  latest: boolean;
  ecid?: string;
  phone?: string;
  until?: string;
  erase: boolean;
  update: boolean;
  yes: boolean;
  /** The backup to put back after the erase: proven to open before anything is erased. */
  backup?: string;
  passwordFile?: string;
  dir?: string;
};

const RESTORABLE_MODES: readonly Phone['mode'][] = ['normal', 'recovery', 'dfu'];

function ramdiskProse(result: RestoreRamdiskResult): string {
  const lines = [
    `The phone is running the restore ramdisk of iOS ${result.firmware.version} (${result.firmware.build}) — restore mode, protocol ${result.protocolVersion ?? 'unknown'}.`,
  ];
  for (const stage of result.stages) lines.push(`  ${stage.stage.padEnd(13)} ${stage.ms.toFixed(0)} ms`);
  lines.push('Run `lifeline restore --erase` or `--update` for the complete restore.');
  return lines.join('\n');
}

function restoreProse(result: RestoreResult): string {
  const lines: string[] = [];
  if (result.phoneMode === 'normal') {
    lines.push(`Restored: the phone runs iOS ${result.firmware.version} (${result.firmware.build}).`);
  } else {
    lines.push(
      `Restored with iOS ${result.firmware.version} (${result.firmware.build}), but Lifeline did not see the phone start again. Plug it in (if it is not) and it starts with the new iOS.`,
    );
  }
  if (result.choice === 'erase') {
    lines.push(
      'On the phone: the setup assistant starts, like on a new phone. Activation Lock asks for the Apple ID and password that were on the phone before.',
    );
  } else {
    lines.push('On the phone: it starts with its data as before, and asks for its passcode as before.');
  }
  for (const stage of result.stages) lines.push(`  ${stage.stage.padEnd(11)} ${(stage.ms / 1000).toFixed(1)} s`);
  return lines.join('\n');
}

/** `--phone` names a phone in DFU / recovery mode by the id `dfu-info --json` prints (or its ECID, whole or masked): its ECID. */
async function ecidForPhone(api: LifelineApi, output: Output, wanted: string): Promise<{ ecid: string } | { exit: number }> {
  const phones = await api.invoke('dfu.info', { showEcid: true });
  const matches = phones.filter((phone) => phone.ecid !== undefined && namesPhone({ ecid: BigInt(`0x${phone.ecid}`) }, wanted));
  const [match] = matches;
  if (matches.length === 1 && match?.ecid !== undefined) return { ecid: match.ecid };
  printProblem(output, new ProblemError(matches.length > 1 ? 'restore-which-phone' : 'restore-no-phone', { wanted }));
  return { exit: EXIT.noDevice };
}

/** The phone a complete restore is for: the one `--phone` names, else the only one connected in a mode it can start from. */
async function phoneToRestore(api: LifelineApi, output: Output, wanted: string | undefined): Promise<{ phone: Phone } | { exit: number }> {
  const { phones, host } = await settledSnapshot(api);
  const connected = phones.filter((p) => p.connected && RESTORABLE_MODES.includes(p.mode));
  // Every restore passes through recovery or DFU over USB: without USB, say so (with the fix) before anything is asked.
  if (host.usb.state === 'unavailable' && !connected.some((p) => p.mode !== 'normal')) {
    printProblem(output, new ProblemError('usb-blocked', { hostDetail: host.usb.detail, hostFix: host.usb.fix }));
    return { exit: EXIT.failed };
  }
  const matches = wanted !== undefined ? phonesMatching(connected, wanted) : connected;
  const [phone] = matches;
  if (matches.length === 1 && phone) return { phone };
  const params = wanted !== undefined ? { wanted } : undefined;
  printProblem(output, new ProblemError(matches.length > 1 ? 'restore-which-phone' : 'restore-no-phone', params));
  return { exit: EXIT.noDevice };
}

/**
 * Nothing is erased before the person says so: an erase asks for the phone's name (or "erase") to be typed, an update
 * for "update". No terminal to ask in and no --yes: refused.
 */
async function confirmed(
  output: Output,
  phone: Phone,
  choice: RestoreChoice,
  yes: boolean,
  activationLock: readonly string[],
): Promise<boolean | 'no-terminal'> {
  const name = phone.deviceName ?? phone.model.name;
  const shown = `${name} (${phone.model.name}, ${shownPhoneId(phone.id, false)})`;
  const warning =
    choice === 'erase'
      ? `This erases everything on ${shown}: photos, messages, apps, settings and the passcode.`
      : `This updates ${shown} to the new iOS and keeps its data. An update does not remove a forgotten passcode: only an erase does.`;
  const sayActivationLock = (): void => {
    if (choice === 'erase' && !output.json) for (const line of activationLock) output.err(line);
  };
  // What Activation Lock will ask for is said before every erase, also one confirmed in advance with --yes.
  if (yes) {
    sayActivationLock();
    return true;
  }
  if (!output.ask) return 'no-terminal';
  output.err(warning);
  sayActivationLock();
  const answer = (await output.ask(`Type the phone’s name (${name}) or “${choice}” to go on: `)).trim();
  return answer.toLowerCase() === choice || answer === name;
}

function printEnding(output: Output, ending: JobEnding, prose: (result: never) => string, cancelled: string): number {
  if (ending.state === 'succeeded') {
    const result = ending.summary.result as never;
    printResult(output, result, () => prose(result));
    return EXIT.ok;
  }
  if (ending.state === 'cancelled') {
    printResult(output, { cancelled: true }, () => cancelled);
    return EXIT.cancelled;
  }
  printProblem(output, { problem: ending.problem });
  return EXIT.failed;
}

async function untilRamdisk(api: LifelineApi, output: Output, signal: AbortSignal, options: RestoreOptions): Promise<number> {
  const chosen = options.phone !== undefined ? await ecidForPhone(api, output, options.phone) : { ecid: options.ecid };
  if ('exit' in chosen) return chosen.exit;
  const { ecid } = chosen;
  const request: RestoreToRamdiskRequest = {
    until: 'ramdisk',
    ...(options.ipsw ? { ipsw: options.ipsw } : {}),
    ...(options.latest ? { latest: true } : {}),
    ...(ecid ? { ecid } : {}),
  };
  const ending = await followJob(api, output, signal, () => api.invoke('restore.toRamdisk', request));
  return printEnding(output, ending, ramdiskProse, 'Cancelled before anything was sent to the phone.');
}

async function completeRestore(
  api: LifelineApi,
  output: Output,
  signal: AbortSignal,
  options: RestoreOptions,
  choice: RestoreChoice,
): Promise<number> {
  const found = await phoneToRestore(api, output, options.phone ?? options.ecid?.replace(/^0x/i, ''));
  if ('exit' in found) return found.exit;
  const { phone } = found;
  let backupAfter: string | undefined;
  if (choice === 'erase' && options.backup !== undefined) {
    const proven = await proveBackupBeforeErase(api, output, {
      backupId: options.backup,
      phoneId: phone.id,
      ...(options.dir !== undefined ? { directory: options.dir } : {}),
      ...(options.passwordFile !== undefined ? { passwordFile: options.passwordFile } : {}),
    });
    if ('exit' in proven) return proven.exit;
    backupAfter = proven.backupId;
  }
  const lock = choice === 'erase' ? activationLockLines(await api.invoke('phone.activationLock', { phoneId: phone.id })) : [];
  const answer = await confirmed(output, phone, choice, options.yes, lock);
  if (answer === 'no-terminal') {
    printProblem(output, new ProblemError('restore-not-confirmed', { choice }));
    return EXIT.usage;
  }
  if (!answer) {
    printResult(output, { cancelled: true }, () => 'Nothing was changed on the phone.');
    return EXIT.cancelled;
  }
  const request: RestoreStartRequest = {
    choice,
    confirmed: true,
    phoneId: phone.id,
    ...(options.ipsw ? { ipsw: options.ipsw } : {}),
    ...(options.latest ? { latest: true } : {}),
  };
  const ending = await followJob(api, output, signal, () => api.invoke('restore.start', request));
  const exit = printEnding(output, ending, restoreProse, 'Cancelled before anything was sent to the phone: nothing on it changed.');
  if (exit === EXIT.ok && backupAfter !== undefined && !output.json) {
    output.err(
      `Then put your data back: set the phone up until it shows its Home Screen, tap Trust on it, and run \`lifeline backups restore ${backupAfter}\`.`,
    );
  }
  return exit;
}

export const registerRestoreCommand: RegisterCommand = (program, { withEngine, signal }) => {
  program
    .command('restore')
    .description(
      'restore a phone: --erase (deletes everything, the passcode too) or --update (keeps the data); from iOS, recovery or DFU mode',
    )
    .option('--erase', 'erase the phone and install iOS (removes a forgotten passcode; Activation Lock then asks for the Apple ID)', false)
    .option('--update', 'install iOS and keep the data (a forgotten passcode stays)', false)
    .option('--yes', 'do not ask for confirmation (for scripts: the phone is erased without a question)', false)
    .option('--ipsw <file>', 'use this .ipsw file', (value: string) => personPath(value))
    .option('--latest', 'use the latest signed firmware for the phone (the default; downloaded if needed)', false)
    .option('--ecid <ecid>', 'the phone’s ECID in hex, when several phones are connected')
    .option(
      '--phone <id>',
      'the phone, by the id `lifeline devices --json` or `dfu-info --json` prints (or its ECID as shown), when several are connected',
    )
    .option('--until <stage>', 'stop early: ramdisk (the phone then runs the restore system, nothing is erased)')
    .option('--backup <id>', 'with --erase: the backup to put back afterwards; its password is checked before anything is erased')
    .option(
      '--password-file <file>',
      'the password of that backup, on the first line of this file (else it is asked for, not shown)',
      (value: string) => personPath(value),
    )
    .option('--dir <folder>', 'look for that backup in this folder instead of the standard ones', (value: string) => personPath(value))
    .action((options: RestoreOptions) =>
      withEngine(async (api, output) => {
        if (options.until !== undefined && options.until !== 'ramdisk') {
          printProblem(output, new ProblemError('restore-until', { until: options.until }));
          return EXIT.usage;
        }
        if (options.ipsw && options.latest) {
          printProblem(output, new ProblemError('restore-firmware-choice'));
          return EXIT.usage;
        }
        if (options.phone !== undefined && options.ecid !== undefined) {
          printProblem(output, new ProblemError('restore-phone-choice'));
          return EXIT.usage;
        }
        const choices = [options.erase && 'erase', options.update && 'update'].filter((c): c is RestoreChoice => typeof c === 'string');
        if (options.until !== undefined && choices.length === 0) return untilRamdisk(api, output, signal, options);
        const [choice] = choices;
        if (choices.length !== 1 || options.until !== undefined || choice === undefined) {
          printProblem(output, new ProblemError('restore-choice'));
          return EXIT.usage;
        }
        return completeRestore(api, output, signal, options, choice);
      }),
    );
};
