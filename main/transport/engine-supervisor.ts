import {
  ProblemError,
  commandSchemas,
  eventSchemas,
  isCommandName,
  isEventName,
  type CommandName,
  type CommandRequest,
  type CommandResponse,
  type EngineStatus,
  type EventName,
  type EventPayload,
  type JobSummary,
  type LifelineApi,
  type Problem,
  type Unsubscribe,
} from '../../common/api';
import type { EnginePort } from './engine-port';
import { decodeEngineToApp, encodeEngineMessage, type AppToEngineMessage, type EngineToAppMessage } from './engine-port-protocol';
import { interruptedJob } from './interrupted-job';

export type EngineSupervisorOptions = {
  /** Starts one engine process (a `utilityProcess` in the app, a `child_process.fork` child in tests) and returns its port. */
  spawn(): EnginePort;
  /** How long to wait before the nth restart in a row (1-based). */
  restartDelayMs?: (attempt: number) => number;
  /** Restarts in a row (each process died before it ran `stableMs`) after which the supervisor gives up. */
  maxRestarts?: number;
  /** An engine that ran this long before it died starts the count of restarts in a row afresh. */
  stableMs?: number;
  /** An engine that has not said it is ready by then is killed (and restarted). */
  startTimeoutMs?: number;
  /** After asking the engine to shut down, how long it may take to wind its jobs down before it is killed. */
  closeTimeoutMs?: number;
  now?: () => number;
  log?: (line: string) => void;
};

type Call = {
  command: CommandName;
  text: string;
  sent: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
};

type Phase = 'idle' | 'starting' | 'running' | 'restarting' | 'stopped' | 'closed';

const MAX_QUEUED_CALLS = 1000;
const MAX_INTERRUPTED_KEPT = 100;

const defaultRestartDelay = (attempt: number): number => Math.min(250 * 2 ** (attempt - 1), 5000);

/**
 * The app's side of the engine process: starts it, speaks the port protocol to it, and offers the contract
 * (`LifelineApi`) as if the engine were local. If the process dies, calls in flight fail with a Problem, jobs it
 * was running end as 'interrupted' (kept for `jobs.list`), `engine.status` says so, and a new process is started.
 */
export class EngineSupervisor implements LifelineApi {
  private readonly options: Required<Omit<EngineSupervisorOptions, 'log'>> & Pick<EngineSupervisorOptions, 'log'>;
  private phase: Phase = 'idle';
  private port: EnginePort | null = null;
  private detachPort: Unsubscribe[] = [];
  private startTimer: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  private readyAt: number | null = null;
  private restartsInARow = 0;
  private everReady = false;
  private fatal: Problem | null = null;
  private nextId = 1;
  private readonly calls = new Map<number, Call>();
  private readonly listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  private readonly running = new Map<string, JobSummary>();
  private readonly interrupted = new Map<string, JobSummary>();
  private current: EngineStatus = { state: 'starting', reason: 'The engine is starting.' };
  private started: Promise<void> | null = null;
  private settleStart: { resolve(): void; reject(error: Error): void } | null = null;
  private closing: Promise<void> | null = null;
  private closed: () => void = () => undefined;

  constructor(options: EngineSupervisorOptions) {
    this.options = {
      restartDelayMs: defaultRestartDelay,
      maxRestarts: 5,
      stableMs: 60_000,
      startTimeoutMs: 60_000,
      closeTimeoutMs: 15_000,
      now: () => Date.now(),
      ...options,
    };
  }

  /** Starts the engine process; settles when it first answers (or the supervisor gave up on it). */
  start(): Promise<void> {
    if (this.started) return this.started;
    this.started = new Promise<void>((resolve, reject) => (this.settleStart = { resolve, reject }));
    this.started.catch(() => undefined);
    this.spawn();
    return this.started;
  }

  status(): EngineStatus {
    return { ...this.current };
  }

  invoke<C extends CommandName>(command: C, request: CommandRequest<C>): Promise<CommandResponse<C>> {
    if (this.phase === 'closed') return Promise.reject(new ProblemError('engine-closed'));
    if (this.phase === 'stopped') return Promise.reject(new ProblemError('engine-unavailable', { reason: this.current.reason }));
    if (!isCommandName(command)) return Promise.reject(new ProblemError('unknown-command', { command: String(command) }));
    const id = this.nextId++;
    const text = encodeEngineMessage({ type: 'invoke', id, command, request: request ?? {} });
    if (text === null) {
      return Promise.reject(new ProblemError('bad-request', { command, issue: 'They are not JSON, or too large.' }));
    }
    if (this.phase !== 'running' && this.queuedCount() >= MAX_QUEUED_CALLS) {
      return Promise.reject(new ProblemError('engine-stopped', { reason: 'Too many requests are waiting for the engine.' }));
    }
    return new Promise((resolve, reject) => {
      const call: Call = { command, text, sent: false, resolve: resolve as (value: unknown) => void, reject };
      this.calls.set(id, call);
      if (this.phase === 'running') this.sendCall(call);
    });
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Unsubscribe {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
      if (this.relaysFromEngine(event) && event !== 'jobs.changed') this.post({ type: 'subscribe', event });
    }
    const callback = listener as (payload: unknown) => void;
    set.add(callback);
    return () => {
      if (!set.delete(callback) || set.size > 0) return;
      this.listeners.delete(event);
      if (this.relaysFromEngine(event) && event !== 'jobs.changed') this.post({ type: 'unsubscribe', event });
    };
  }

  /** Asks the engine to cancel its jobs and close, waits (bounded) for the process to end, and never restarts it. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const port = this.phase === 'running' || this.phase === 'starting' || this.phase === 'restarting' ? this.port : null;
    this.phase = 'closed';
    this.clearTimer('restartTimer');
    this.clearTimer('startTimer');
    for (const [id, call] of this.calls) {
      if (call.sent) continue;
      this.calls.delete(id);
      call.reject(new ProblemError('engine-closed'));
    }
    this.settleStart?.reject(new ProblemError('engine-closed'));
    if (!port) {
      this.closing = Promise.resolve();
      return this.closing;
    }
    this.closing = new Promise<void>((resolve) => (this.closed = resolve));
    this.send(port, { type: 'shutdown' });
    this.killTimer = setTimeout(() => port.close(), this.options.closeTimeoutMs);
    return this.closing;
  }

  private spawn(): void {
    this.phase = this.everReady ? 'restarting' : 'starting';
    this.readyAt = null;
    this.fatal = null;
    let port: EnginePort;
    try {
      port = this.options.spawn();
    } catch (error) {
      this.exited(null, `The engine process could not be started (${error instanceof Error ? error.message : String(error)}).`);
      return;
    }
    this.port = port;
    this.detachPort = [port.onMessage((raw) => this.received(port, raw)), port.onClose((reason) => this.exited(port, reason))];
    this.startTimer = setTimeout(() => {
      this.log('engine supervisor: the engine did not start in time; killing it');
      port.close();
    }, this.options.startTimeoutMs);
  }

  private received(port: EnginePort, raw: unknown): void {
    if (port !== this.port) return;
    const decoded = decodeEngineToApp(raw);
    if (!decoded.ok) {
      // An engine that breaks the protocol is not trusted to go on: it is killed and a fresh one started.
      this.log(`engine supervisor: refused a message from the engine (${decoded.reason}); restarting it`);
      port.close();
      return;
    }
    this.handle(decoded.message);
  }

  private handle(message: EngineToAppMessage): void {
    switch (message.type) {
      case 'ready':
        return this.ready();
      case 'result':
        return this.answer(message.id, message.envelope);
      case 'event':
        return this.event(message.event, message.payload);
      case 'fatal':
        this.fatal = message.problem;
        this.log(`engine supervisor: the engine could not start: ${message.problem.title}: ${message.problem.detail}`);
        return;
    }
  }

  private ready(): void {
    if (this.phase === 'closed' || this.readyAt !== null) return;
    this.clearTimer('startTimer');
    const restarted = this.everReady;
    this.phase = 'running';
    this.everReady = true;
    this.readyAt = this.options.now();
    for (const event of this.listeners.keys())
      if (this.relaysFromEngine(event) && event !== 'jobs.changed') this.post({ type: 'subscribe', event });
    this.post({ type: 'subscribe', event: 'jobs.changed' });
    for (const call of this.calls.values()) if (!call.sent) this.sendCall(call);
    this.setStatus({ state: 'running', reason: restarted ? 'The engine was restarted.' : 'The engine started.' });
    this.settleStart?.resolve();
    this.settleStart = null;
  }

  private answer(id: number, envelope: Extract<EngineToAppMessage, { type: 'result' }>['envelope']): void {
    const call = this.calls.get(id);
    if (!call?.sent) {
      this.log(`engine supervisor: ignored an answer to no question (${id})`);
      return;
    }
    this.calls.delete(id);
    if (!envelope.ok) {
      call.reject(ProblemError.forward(envelope.problem));
      return;
    }
    const parsed = commandSchemas[call.command].response.safeParse(envelope.value);
    if (!parsed.success) {
      call.reject(new ProblemError('engine-answer-invalid', { issue: parsed.error.message }));
      return;
    }
    call.resolve(call.command === 'jobs.list' ? [...(parsed.data as JobSummary[]), ...this.interrupted.values()] : parsed.data);
  }

  private event(event: string, payload: unknown): void {
    if (!isEventName(event) || !this.relaysFromEngine(event)) {
      this.log(`engine supervisor: ignored an event the engine may not send ("${event.slice(0, 100)}")`);
      return;
    }
    const parsed = eventSchemas[event].safeParse(payload);
    if (!parsed.success) {
      this.log(`engine supervisor: dropped a malformed ${event} event (${parsed.error.message.slice(0, 300)})`);
      return;
    }
    if (event === 'jobs.changed') {
      const summary = parsed.data as JobSummary;
      if (summary.state === 'running') this.running.set(summary.job, summary);
      else this.running.delete(summary.job);
    }
    this.relay(event, parsed.data);
  }

  private exited(port: EnginePort | null, reason: string): void {
    if (port !== this.port) return;
    for (const off of this.detachPort.splice(0)) off();
    this.port = null;
    this.clearTimer('startTimer');
    this.clearTimer('killTimer');
    const said = this.fatal ? `${this.fatal.title}: ${this.fatal.detail}`.slice(0, 400) : reason;
    for (const [id, call] of this.calls) {
      if (!call.sent) continue;
      this.calls.delete(id);
      call.reject(this.phase === 'closed' ? new ProblemError('engine-closed') : new ProblemError('engine-stopped', { reason: said }));
    }
    this.interruptRunningJobs(said);
    if (this.phase === 'closed') {
      this.closed();
      return;
    }
    this.log(`engine supervisor: ${said}`);
    const ranLongEnough = this.readyAt !== null && this.options.now() - this.readyAt >= this.options.stableMs;
    this.restartsInARow = ranLongEnough ? 1 : this.restartsInARow + 1;
    if (this.restartsInARow > this.options.maxRestarts) {
      this.phase = 'stopped';
      for (const [id, call] of this.calls) {
        this.calls.delete(id);
        call.reject(new ProblemError('engine-unavailable', { reason: said }));
      }
      this.setStatus({ state: 'stopped', reason: said });
      this.settleStart?.reject(new ProblemError('engine-unavailable', { reason: said }));
      this.settleStart = null;
      return;
    }
    this.phase = 'restarting';
    this.setStatus({ state: 'restarting', reason: said });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.spawn();
    }, this.options.restartDelayMs(this.restartsInARow));
  }

  private interruptRunningJobs(reason: string): void {
    const at = new Date(this.options.now());
    for (const summary of this.running.values()) {
      const ended = interruptedJob(summary, reason, at);
      this.interrupted.set(ended.job, ended);
      if (this.interrupted.size > MAX_INTERRUPTED_KEPT) this.interrupted.delete(this.interrupted.keys().next().value!);
      this.relay('jobs.changed', ended);
    }
    this.running.clear();
  }

  private setStatus(status: EngineStatus): void {
    this.current = status;
    this.relay('engine.status', status);
  }

  private relay(event: EventName, payload: unknown): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        listener(payload);
      } catch (error) {
        this.log(`engine supervisor: a ${event} listener threw (${error instanceof Error ? error.message : String(error)})`);
      }
    }
  }

  /** Every contract event comes from the engine except the supervisor's own engine.status. */
  private relaysFromEngine(event: EventName): boolean {
    return event !== 'engine.status';
  }

  private sendCall(call: Call): void {
    if (!this.port) return;
    call.sent = true;
    this.port.postMessage(call.text);
  }

  private post(message: AppToEngineMessage): void {
    if (this.phase === 'running' && this.port) this.send(this.port, message);
  }

  private send(port: EnginePort, message: AppToEngineMessage): void {
    const text = encodeEngineMessage(message);
    if (text !== null) port.postMessage(text);
  }

  private queuedCount(): number {
    let queued = 0;
    for (const call of this.calls.values()) if (!call.sent) queued++;
    return queued;
  }

  private clearTimer(name: 'startTimer' | 'restartTimer' | 'killTimer'): void {
    const timer = this[name];
    if (timer) clearTimeout(timer);
    this[name] = null;
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}
