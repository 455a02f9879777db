import { EventEmitter } from 'node:events';
import type {
  AppInfo,
  CommandName,
  CommandRequest,
  CommandResponse,
  EventName,
  EventPayload,
  PracticeAction,
  PracticeButton,
  PracticePhone,
  Unsubscribe,
} from '../../common/api';
import type { HostStatus, Phone } from '../../common/phone';
import { coreHandlers } from './handlers/core-handlers';
import { practiceHandlers } from './handlers/practice-handlers';
import { coachHandlers } from './handlers/coach-handlers';
import type { CoachService } from '../coach/coach-service';
import { backupHandlers } from './handlers/backup-handlers';
import type { UsbmuxAddress } from '../usbmux/usbmux-address';
import { dfuHandlers } from './handlers/dfu-handlers';
import { restoreHandlers } from './handlers/restore-handlers';
import { firmwareHandlers } from './handlers/firmware-handlers';
import type { FirmwareService } from '../firmware/firmware-service';
import type { UsbBus } from '../usb/usb-bus';
import type { BackupService } from '../backup/backup-service';
import { JobRunner } from './jobs';

export type TransportKind = AppInfo['transport'];
export type CallContext = { transport: TransportKind };

export type CommandHandlers = {
  [C in CommandName]: (request: CommandRequest<C>, context: CallContext) => Promise<CommandResponse<C>>;
};

/** Where the engine learns about phones. The device registry implements it. */
export interface PhoneSource {
  list(): Phone[];
  hostStatus(): HostStatus;
  onChange(listener: () => void): Unsubscribe;
  onHostStatus(listener: (status: HostStatus) => void): Unsubscribe;
  close(): Promise<void>;
}

/** Practice mode: the virtual phones' "hands". Absent with real hardware. */
export interface PracticeControls {
  phones(): PracticePhone[];
  act(phoneId: string, action: PracticeAction): Promise<void>;
  /** Press or release a physical button of a virtual phone (the coach's practice mode). */
  button?(phoneId: string, button: PracticeButton, down: boolean): Promise<{ accepted: boolean; pressed: PracticeButton[] }>;
}

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
  /** Extra teardown (e.g. the virtual phones of practice mode). */
  onClose?: () => Promise<void>;
};

/** What every handler module gets: the engine's parts, never the transports. */
export type EngineContext = {
  readonly options: EngineOptions;
  readonly jobs: JobRunner;
  phones(): Phone[];
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
};

/**
 * The one implementation of the contract, shared by every transport. Each domain contributes its handlers
 * from main/rescue/handlers/<domain>-handlers.ts; the type below makes a missing one a compile error.
 */
export class Engine {
  private readonly emitter = new EventEmitter();
  private readonly detach: Unsubscribe[] = [];
  readonly jobs: JobRunner;
  readonly handlers: CommandHandlers;

  constructor(private readonly options: EngineOptions) {
    this.emitter.setMaxListeners(100);
    this.jobs = new JobRunner({ changed: (summary) => this.emit('jobs.changed', summary), progress: (progress) => this.emit('progress', progress) });
    const phones = options.phones;
    if (phones) {
      this.detach.push(phones.onChange(() => this.emit('devices.changed', phones.list())));
      this.detach.push(phones.onHostStatus((status) => this.emit('host.status', status)));
    }
    const context: EngineContext = {
      options,
      jobs: this.jobs,
      phones: () => phones?.list() ?? [],
      emit: (event, payload) => this.emit(event, payload),
    };
    this.handlers = {
      ...coreHandlers(context),
      ...practiceHandlers(context),
      ...coachHandlers(context),
      ...backupHandlers(context),
      ...dfuHandlers(context),
      ...restoreHandlers(context),
      ...firmwareHandlers(context),
    };
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Unsubscribe {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    this.emitter.emit(event, payload);
  }

  async close(): Promise<void> {
    await this.jobs.cancelAll();
    for (const undo of this.detach.splice(0)) undo();
    await this.options.phones?.close();
    await this.options.onClose?.();
    this.emitter.removeAllListeners();
  }
}
