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
} as const;
