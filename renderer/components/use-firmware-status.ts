import { useEffect, useState } from 'react';
import type { FirmwareStatus } from '../../common/api';
import { useLifeline, useLifelineApi } from '../store/use-lifeline';

/** A phone's firmware status: asked once, then kept current by `firmware.changed` and by firmware jobs finishing. */
export function useFirmwareStatus(phoneId: string, enabled: boolean): FirmwareStatus | null {
  const api = useLifelineApi();
  const [status, setStatus] = useState<FirmwareStatus | null>(null);
  const finished = useLifeline((s) => Object.values(s.jobs).filter((job) => job.phoneId === phoneId && job.kind.startsWith('firmware.') && job.state !== 'running').length);
  useEffect(() => {
    if (!enabled) return undefined;
    let live = true;
    api.invoke('firmware.status', { phoneId }).then(
      (next) => live && setStatus(next),
      () => undefined,
    );
    const off = api.on('firmware.changed', (next) => {
      if (next.phoneId === phoneId) setStatus(next);
    });
    return () => {
      live = false;
      off();
    };
  }, [api, phoneId, enabled, finished]);
  return status;
}
