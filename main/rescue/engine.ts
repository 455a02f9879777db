import { EventEmitter } from 'node:events';
import {
  ProblemError,
  type AppInfo,
  type CommandName,
  type CommandRequest,
  type CommandResponse,
  type EventName,
  type EventPayload,
  type PracticeAction,
  type PracticePhone,
  type Unsubscribe,
} from '../../common/api';
import type { HostStatus, Phone } from '../../common/phone';

export type TransportKind = AppInfo['transport'];
export type CallContext = { transport: TransportKind };

export type CommandHandlers = {
  [C in CommandName]: (request: CommandRequest<C>, context: CallContext) => Promise<CommandResponse<C>>;
};

/** Where the engine learns about phones. The device registry implements it; an empty source is honest when none is wired. */
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
}

export type EngineOptions = {
  name?: string;
  version: string;
  demo?: boolean;
  phones?: PhoneSource;
  practice?: PracticeControls;
  /** Extra teardown (e.g. the virtual phones of practice mode). */
  onClose?: () => Promise<void>;
};

/** The one implementation of the contract, shared by every transport. */
export class Engine {
  private readonly emitter = new EventEmitter();
  private readonly phones: PhoneSource | undefined;
  private readonly detach: Unsubscribe[] = [];

  constructor(private readonly options: EngineOptions) {
    this.emitter.setMaxListeners(100);
    this.phones = options.phones;
    if (this.phones) {
      const phones = this.phones;
      this.detach.push(phones.onChange(() => this.emit('devices.changed', phones.list())));
      this.detach.push(phones.onHostStatus((status) => this.emit('host.status', status)));
    }
  }

  readonly handlers: CommandHandlers = {
    'app.info': async (_request, context) => ({
      name: this.options.name ?? 'Lifeline',
      version: this.options.version,
      platform: platformName(process.platform),
      transport: context.transport,
      demo: this.options.demo ?? false,
    }),
    'devices.list': async () => this.phones?.list() ?? [],
    'host.status': async () => this.phones?.hostStatus() ?? NO_HOST_ACCESS,
    'practice.phones': async () => this.practice().phones(),
    'practice.act': async ({ phoneId, action }) => {
      await this.practice().act(phoneId, action);
      return { done: true as const };
    },
  };

  private practice(): PracticeControls {
    if (this.options.practice) return this.options.practice;
    throw new ProblemError({
      code: 'not-practice-mode',
      title: 'Only available in practice mode',
      detail: 'These controls move virtual phones; a real phone needs your hands.',
      nextSteps: ['Start Lifeline with --demo to practise.'],
    });
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Unsubscribe {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    this.emitter.emit(event, payload);
  }

  async close(): Promise<void> {
    for (const undo of this.detach.splice(0)) undo();
    await this.phones?.close();
    await this.options.onClose?.();
    this.emitter.removeAllListeners();
  }
}

const NO_HOST_ACCESS: HostStatus = {
  usb: { state: 'unavailable', reason: 'not-wired', detail: 'This engine was started without USB access.', fix: 'Start Lifeline normally.' },
  usbmux: { state: 'unavailable', reason: 'not-wired', detail: 'This engine was started without usbmuxd access.', fix: 'Start Lifeline normally.' },
};

function platformName(platform: NodeJS.Platform): AppInfo['platform'] {
  return platform === 'darwin' || platform === 'win32' || platform === 'linux' ? platform : 'other';
}
