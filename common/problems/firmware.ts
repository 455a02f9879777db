/** Problems of finding, downloading and checking iOS firmware (main/firmware, main/ipsw). */
import { entry, fileName, formatBytes } from './problem-entry';

const OWN_FILE = 'Or choose an .ipsw file you already have.';
const REFRESH = 'Refresh the firmware list and try again.';
const PROXY = 'If it keeps happening, the network or a proxy may be changing the file.';

export const FIRMWARE_PROBLEMS = {
  'firmware-unavailable': entry({
    title: 'Firmware downloads are not available here',
    detail: 'This engine was started without a firmware service.',
    nextSteps: ['Start Lifeline normally.'],
  }),
  'firmware-unknown-model': entry<{ productType: string }>({
    title: 'Lifeline does not know this iPhone model',
    detail: ({ productType }) => `${productType.slice(0, 32)} is not in Lifeline’s device table, so its board is unknown.`,
    nextSteps: ['Check the model identifier (for example iPhone6,1), or give the board with --board.'],
  }),
  'firmware-model-not-identified': entry<{ modelName: string }>({
    title: 'Lifeline does not know which firmware fits this iPhone yet',
    detail: ({ modelName }) => `${modelName}: its model identifier or board is not known.`,
    nextSteps: ['Wait until the card shows the model, or choose an .ipsw file yourself.'],
  }),
  'firmware-target-missing': entry({
    title: 'Which iPhone is this firmware for?',
    detail: 'Give a phone or a model identifier.',
    nextSteps: ['Choose the phone, or give its model identifier (for example iPhone10,1).'],
  }),
  'firmware-offline': entry({
    title: 'Can’t reach Apple to find the firmware',
    detail: 'Neither Apple’s firmware list nor ipsw.me could be reached, and no checked copy is in Lifeline’s cache.',
    nextSteps: ['Connect this computer to the internet, then try again.', OWN_FILE],
  }),
  'firmware-not-listed': entry<{ productType: string }>({
    title: 'No firmware listed for this iPhone',
    detail: ({ productType }) => `Neither Apple nor ipsw.me lists firmware for ${productType}.`,
    nextSteps: ['Choose an .ipsw file you already have.'],
  }),
  'firmware-none-signed': entry<{ productType: string; listed: number }>({
    title: 'Apple is not signing any iOS for this iPhone right now',
    detail: ({ productType, listed }) => `The catalogs list ${listed} versions for ${productType}, none marked signed.`,
    nextSteps: ['Try again later; signing windows change.'],
  }),
  'firmware-no-hash': entry<{ version: string; build: string }>({
    title: 'The firmware cannot be checked',
    detail: ({ version, build }) => `No catalog gives a checksum for iOS ${version} (${build}), so a download could not be verified.`,
    nextSteps: ['Try again later.', OWN_FILE],
  }),
  'firmware-unverified': entry<{ file: string }>({
    title: 'This firmware cannot be checked, so Lifeline will not restore from it',
    detail: ({ file }) =>
      `No firmware catalog gives a checksum for ${fileName(file)}, so Lifeline cannot tell whether it is Apple’s file, intact.`,
    nextSteps: [
      'Leave out --ipsw: Lifeline downloads and checks the right firmware itself.',
      'Connect to the internet so the catalogs can be checked, then try again.',
    ],
  }),
  'ipsw-hash-mismatch': entry<{ file: string; version: string; build: string }>({
    title: 'This firmware file is damaged or altered',
    detail: ({ file, version, build }) => `${fileName(file)} does not match Apple’s checksum for iOS ${version} (${build}).`,
    nextSteps: ['Download the file again, or let Lifeline download it.'],
  }),
  'firmware-changed-on-disk': entry<{ file: string }>({
    title: 'The downloaded firmware was changed after it was checked',
    detail: ({ file }) =>
      `${fileName(file)} in Lifeline’s firmware folder no longer matches the checksum it had when it was downloaded. It was deleted.`,
    nextSteps: ['Connect this computer to the internet so Lifeline can download it again.', OWN_FILE],
  }),
  'firmware-server-range': entry<{ host: string }>({
    title: 'The download server misbehaved',
    detail: ({ host }) => `${host} refused to resume the download (HTTP 416) repeatedly.`,
    nextSteps: ['Try again later.'],
  }),
  'firmware-network': entry<{ keptBytes: number }>({
    title: 'The firmware download keeps failing',
    detail: ({ keptBytes }) =>
      `The connection kept breaking. ${formatBytes(keptBytes)} are kept; the download resumes from there next time.`,
    nextSteps: ['Check the internet connection, then try again.'],
  }),
  'firmware-hash-mismatch': entry<{ file: string }>({
    title: 'The downloaded firmware is damaged',
    detail: ({ file }) => `${fileName(file)} does not match the size or checksum the catalog gives. It was deleted.`,
    nextSteps: ['Try again; Lifeline downloads it afresh.', PROXY],
  }),
  'disk-full': entry<{ neededBytes: number; freeBytes: number; folder: string }>({
    title: 'Not enough free space for the firmware',
    detail: ({ neededBytes, freeBytes, folder }) =>
      `The firmware needs ${formatBytes(neededBytes)} free in ${folder}; there is ${formatBytes(freeBytes)}.`,
    nextSteps: ['Free some space on this computer, then try again.', 'Or set LIFELINE_FIRMWARE_CACHE to a folder on a bigger disk.'],
  }),
  'firmware-not-found': entry<{ host: string; status: number; file: string }>({
    title: 'The firmware is no longer on Apple’s server',
    detail: ({ host, status, file }) => `${host} answered HTTP ${status} for ${fileName(file)}.`,
    nextSteps: [REFRESH],
  }),
  'firmware-server': entry<{ host: string; status: number }>({
    title: 'The download server gave an unexpected answer',
    detail: ({ host, status }) => `${host} answered HTTP ${status}.`,
    nextSteps: ['Try again later.'],
  }),
  /** `sentBytes`/`expectedBytes`: what the server said (or sent) and what the catalog says; `expectedBytes` null when the server broke its own word. */
  'firmware-size-mismatch': entry<{ host: string; sentBytes: number; expectedBytes: number | null }>({
    title: 'The download server sent a different file',
    detail: ({ host, sentBytes, expectedBytes }) =>
      expectedBytes === null
        ? `${host} sent more than the ${sentBytes} bytes it announced.`
        : `${host} says the file is ${sentBytes} bytes; the catalog says ${expectedBytes}.`,
    nextSteps: [REFRESH],
  }),
  'firmware-blocked-url': entry<{ host: string }>({
    title: 'The firmware is somewhere Lifeline does not download from',
    detail: ({ host }) => `The download led to ${host.slice(0, 100)}, which is not one of the places Lifeline downloads firmware from.`,
    nextSteps: [REFRESH, OWN_FILE],
  }),
  'firmware-too-large': entry<{ host: string; capBytes: number }>({
    title: 'The download server sent far more than any firmware',
    detail: ({ host, capBytes }) => `${host} sent more than ${capBytes} bytes; the download was stopped and deleted.`,
    nextSteps: ['Try again later.', PROXY],
  }),
  'ipsw-unreadable': entry<{ file: string }>({
    title: 'This file is not a usable iOS firmware file',
    detail: ({ file }) => `${fileName(file)} could not be read as an .ipsw (a ZIP archive of Apple’s firmware).`,
    nextSteps: ['Check that the file finished downloading and ends in .ipsw.', 'Or let Lifeline download the right firmware for you.'],
  }),
  'build-manifest-invalid': entry<{ file?: string } | void>({
    title: 'The firmware file’s manifest is not readable',
    detail: (params) =>
      params?.file
        ? `${fileName(params.file)} lacks files or descriptions its BuildManifest needs, so Lifeline cannot tell what to send to the phone.`
        : 'The BuildManifest inside the firmware file is missing or damaged, so Lifeline cannot tell what to send to the phone.',
    nextSteps: ['Use an unmodified .ipsw from Apple, or let Lifeline download one.'],
  }),
  /** `fitsModels`: the ProductTypes the file is for; `board` set when the model matched but no identity for the board did. */
  'ipsw-wrong-phone': entry<{ productType: string; version: string; build: string; fitsModels?: readonly string[]; board?: string }>({
    title: 'This firmware is for a different iPhone',
    detail: ({ productType, version, build, fitsModels, board }) =>
      board !== undefined
        ? `iOS ${version} (${build}) in this file has no erase-restore for board ${board}.`
        : `iOS ${version} (${build}) in this file is for ${(fitsModels ?? []).join(', ')}, not ${productType}.`,
    nextSteps: [
      'Use the firmware Lifeline suggests for this phone.',
      'If you picked the file yourself, check the model name in the file name.',
    ],
  }),
};
