import type { FirmwareStatus, JobSummary, PreparedFirmware, Progress } from '../common/api';

/** "iOS 12.5.8 ready — verified". */
export function describeReady(firmware: PreparedFirmware): string {
  return `iOS ${firmware.version} ready — ${firmware.catalogVerified ? 'verified' : 'fits this phone'}`;
}

export function describeSignedAsOf(firmware: PreparedFirmware): string | null {
  if (!firmware.signedAsOf) return null;
  return `Apple was signing it as of ${new Date(firmware.signedAsOf).toLocaleString()}.`;
}

export function describeProgress(progress: Progress | null): string {
  if (!progress) return 'Getting iOS ready…';
  const percent = progress.fraction === null ? '' : ` ${Math.floor(progress.fraction * 100)}%`;
  const speed = progress.bytesPerSecond ? ` · ${(progress.bytesPerSecond / 1e6).toFixed(1)} MB/s` : '';
  const eta = progress.etaSeconds !== undefined && progress.etaSeconds > 0 ? ` · about ${formatDuration(progress.etaSeconds)} left` : '';
  return `${progress.message}${percent}${speed}${eta}`;
}

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** The firmware job for this phone that is running now, if any. */
export function runningFirmwareJob(jobs: Record<string, JobSummary>, phoneId: string): JobSummary | null {
  return Object.values(jobs).find((job) => job.phoneId === phoneId && job.state === 'running' && job.kind.startsWith('firmware.')) ?? null;
}

export function readyFrom(status: FirmwareStatus | null): PreparedFirmware | null {
  return status?.state === 'ready' ? status.firmware : null;
}
