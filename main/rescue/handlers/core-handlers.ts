import type { AppInfo } from '../../../common/api';
import type { HostStatus } from '../../../common/phone';
import type { CommandHandlers, EngineContext } from '../engine-ports';

const NO_HOST_ACCESS: HostStatus = {
  usb: {
    state: 'unavailable',
    reason: 'not-wired',
    detail: 'This engine was started without USB access.',
    fix: 'Start Lifeline normally.',
  },
  usbmux: {
    state: 'unavailable',
    reason: 'not-wired',
    detail: 'This engine was started without usbmuxd access.',
    fix: 'Start Lifeline normally.',
  },
};

function platformName(platform: NodeJS.Platform): AppInfo['platform'] {
  return platform === 'darwin' || platform === 'win32' || platform === 'linux' ? platform : 'other';
}

export function coreHandlers(
  context: EngineContext,
): Pick<CommandHandlers, 'app.info' | 'devices.list' | 'host.status' | 'jobs.list' | 'jobs.cancel'> {
  const { options, jobs } = context;
  return {
    'app.info': async (_request, call) => ({
      name: options.name ?? 'Lifeline',
      version: options.version,
      platform: platformName(process.platform),
      transport: call.transport,
      demo: options.demo ?? false,
    }),
    'devices.list': async () => context.phones(),
    'host.status': async () => options.phones?.hostStatus() ?? NO_HOST_ACCESS,
    'jobs.list': async () => jobs.list(),
    'jobs.cancel': async ({ job }) => ({ cancelled: jobs.cancel(job) }),
  };
}
