import { z } from 'zod';
import { HostStatusSchema, PhoneSchema } from '../phone';
import { JobSummarySchema, NoArguments, ProgressSchema } from './shapes';

export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  platform: z.enum(['darwin', 'win32', 'linux', 'other']),
  transport: z.enum(['electron', 'web-bridge', 'in-process']),
  demo: z.boolean(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

/**
 * The engine runs in its own process: 'starting' at first, 'restarting' after it stopped unexpectedly (jobs it was running end as
 * 'interrupted'), 'running' once it answers again, 'stopped' when it kept failing and Lifeline gave up.
 */
export const EngineStatusSchema = z.object({
  state: z.enum(['starting', 'running', 'restarting', 'stopped']),
  /** Why, in words (e.g. "The engine process stopped (signal SIGKILL)."). */
  reason: z.string().max(500),
});
export type EngineStatus = z.infer<typeof EngineStatusSchema>;

export const coreCommands = {
  'app.info': { request: NoArguments, response: AppInfoSchema },
  'devices.list': { request: NoArguments, response: z.array(PhoneSchema) },
  'host.status': { request: NoArguments, response: HostStatusSchema },
  'jobs.list': { request: NoArguments, response: z.array(JobSummarySchema) },
  'jobs.cancel': { request: z.object({ job: z.string().min(1).max(64) }).strict(), response: z.object({ cancelled: z.boolean() }) },
} as const;

export const coreEvents = {
  'devices.changed': z.array(PhoneSchema),
  'host.status': HostStatusSchema,
  progress: ProgressSchema,
  /** A job started, finished, failed or was cancelled. */
  'jobs.changed': JobSummarySchema,
  /** Only where the engine runs in its own process (the desktop app): sent by the process that supervises it. */
  'engine.status': EngineStatusSchema,
} as const;
