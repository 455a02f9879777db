import { useEffect } from 'react';
import type { FirmwareStatus } from '../../common/api';
import { useCommand } from '../hooks/use-command';
import { useLifeline, useLifelineApi } from '../store/use-lifeline';

/** A phone's firmware status: asked once, then kept current by `firmware.changed` and by firmware jobs finishing. */
export function useFirmwareStatus(phoneId: string, enabled: boolean): FirmwareStatus | null {
  const api = useLifelineApi();
  const finished = useLifeline(
    (s) =>
      Object.values(s.jobs).filter((job) => job.phoneId === phoneId && job.kind.startsWith('firmware.') && job.state !== 'running').length,
  );
  const { data, replace } = useCommand('firmware.status', enabled ? { phoneId } : null, { refreshOn: [finished] });
  useEffect(() => {
    if (!enabled) return undefined;
    return api.on('firmware.changed', (next) => {
      if (next.phoneId === phoneId) replace(next);
    });
  }, [api, phoneId, enabled, replace]);
  return data;
}
