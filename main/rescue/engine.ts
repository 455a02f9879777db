import { EventEmitter } from 'node:events';
import type { EventName, EventPayload, Unsubscribe } from '../../common/api';
import type { EngineContext, EngineOptions, CommandHandlers } from './engine-ports';
import { coreHandlers } from './handlers/core-handlers';
import { practiceHandlers } from './handlers/practice-handlers';
import { coachHandlers } from './handlers/coach-handlers';
import { backupHandlers } from './handlers/backup-handlers';
import { dfuHandlers } from './handlers/dfu-handlers';
import { restoreHandlers } from './handlers/restore-handlers';
import { firmwareHandlers } from './handlers/firmware-handlers';
import { journeyHandlers } from './handlers/journey-handlers';
import { diagnosticsHandlers } from './handlers/diagnostics-handlers';
import { eraseSafetyHandlers } from './handlers/erase-safety-handlers';
import { logJobChange } from '../log/job-log';
import { JourneyLog } from '../log/journey-log';
import { JobRunner } from './jobs';

/**
 * The one implementation of the contract, shared by every transport. Each domain contributes its handlers
 * from main/rescue/handlers/<domain>-handlers.ts; the type below makes a missing one a compile error.
 */
export class Engine {
  private readonly emitter = new EventEmitter();
  private readonly detach: Unsubscribe[] = [];
  /** Run before the jobs are cancelled, so what follows a job (a journey) keeps its place instead of seeing it fail. */
  private readonly closing: (() => void)[] = [];
  private readonly journeyLog = new JourneyLog();
  readonly jobs: JobRunner;
  readonly handlers: CommandHandlers;

  constructor(private readonly options: EngineOptions) {
    this.emitter.setMaxListeners(100);
    this.jobs = new JobRunner({
      changed: (summary) => {
        logJobChange(summary);
        this.emit('jobs.changed', summary);
      },
      progress: (progress) => this.emit('progress', progress),
    });
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
      on: (event, listener) => this.on(event, listener),
      whenClosing: (undo) => this.closing.push(undo),
    };
    this.handlers = {
      ...coreHandlers(context),
      ...practiceHandlers(context),
      ...coachHandlers(context),
      ...backupHandlers(context),
      ...dfuHandlers(context),
      ...restoreHandlers(context),
      ...firmwareHandlers(context),
      ...eraseSafetyHandlers(context),
      // The journey composes the other commands: it calls them as any front end would.
      ...journeyHandlers(context, (command, request) => this.handlers[command](request, { transport: 'in-process' })),
      ...diagnosticsHandlers(context),
    };
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Unsubscribe {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    if (event === 'journey.changed') this.journeyLog.changed(payload as EventPayload<'journey.changed'>);
    this.emitter.emit(event, payload);
  }

  async close(): Promise<void> {
    for (const undo of this.closing.splice(0)) undo();
    await this.jobs.cancelAll();
    for (const undo of this.detach.splice(0)) undo();
    await this.options.phones?.close();
    await this.options.onClose?.();
    this.emitter.removeAllListeners();
  }
}
