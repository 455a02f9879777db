/** The engine's ports and the context its handlers get: types only, so handlers and the engine never import each other. */
import type {
  AppInfo,
  CommandName,
  CommandRequest,
  CommandResponse,
  EventName,
  EventPayload,
  PracticeControls,
  Unsubscribe,
} from '../../common/api';
import type { Phone } from '../../common/phone';
import type { BackupService } from '../backup/backup-service';
import type { CoachService } from '../coach/coach-service';
import type { PhoneSource } from '../devices/phone-source';
import type { FirmwareService } from '../firmware/firmware-service';
import type { UsbBus } from '../usb/usb-bus';
import type { UsbmuxAddress } from '../usbmux/usbmux-address';
import type { JobRunner } from './jobs';

export type TransportKind = AppInfo['transport'];
export type CallContext = { transport: TransportKind };

export type CommandHandlers = {
  [C in CommandName]: (request: CommandRequest<C>, context: CallContext) => Promise<CommandResponse<C>>;
};

export type EngineOptions = {
  name?: string;
  version: string;
  demo?: boolean;
  phones?: PhoneSource;
  practice?: PracticeControls;
  /** Backs up phones and finds existing backups. */
  backup?: BackupService;
  /** The USB bus phones in DFU / recovery are reached through (node usb, USB/IP or the simulator). */
  usb?: UsbBus;
  /** The coach: timed button guidance refereed by USB, and the recovery shortcuts. */
  coach?: CoachService;
  /** Finds, downloads and verifies the firmware for a phone. */
  firmware?: FirmwareService;
  /** Restore engine: where the signing server and usbmuxd are (practice mode: local fakes). */
  restore?: { tssUrl?: string; usbmuxAddress?: UsbmuxAddress };
  /** Lifeline's own data folder (logs, saved journeys); default: LIFELINE_DATA_DIR or the OS's place for app data. */
  dataFolder?: string;
  /** Where saved journeys live (one file per phone); default: the data folder's `journeys` (LIFELINE_DATA_DIR). */
  journeyFolder?: string;
  /** Extra teardown (e.g. the virtual phones of practice mode). */
  onClose?: () => Promise<void>;
};

/** What every handler module gets: the engine's parts, never the transports. */
export type EngineContext = {
  readonly options: EngineOptions;
  readonly jobs: JobRunner;
  phones(): Phone[];
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** The engine's events (a handler following a job it started). */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Unsubscribe;
  /** Runs when the engine closes, before its jobs are cancelled. */
  whenClosing(undo: () => void): void;
};
