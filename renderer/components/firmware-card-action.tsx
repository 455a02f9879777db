import { useState } from 'react';
import { problemOf } from '../../common/api';
import type { Phone } from '../../common/phone';
import { describeProgress, describeReady, readyFrom, runningFirmwareJob } from '../firmware-words';
import { navigate } from '../store/lifeline-store';
import { useLifeline, useLifelineApi, useLifelineStore } from '../store/use-lifeline';
import { useFirmwareStatus } from './use-firmware-status';

/** Ready before the buttons: the phone card says whether its iOS is on disk, and gets it ready. */
export function FirmwareCardAction({ phone }: { phone: Phone }) {
  const api = useLifelineApi();
  const store = useLifelineStore();
  const known = phone.model.productType !== null && phone.model.boardConfig !== null;
  const status = useFirmwareStatus(phone.id, known);
  const job = useLifeline((s) => runningFirmwareJob(s.jobs, phone.id));
  const [problem, setProblem] = useState<string | null>(null);
  if (!known) return null;
  const ready = readyFrom(status);
  const prepare = (): void => {
    setProblem(null);
    api
      .invoke('firmware.prepare', { phoneId: phone.id })
      .catch((error: unknown) => setProblem(problemOf(error)?.title ?? 'That did not work.'));
  };
  return (
    <div className="firmware-card">
      {job ? (
        <p className="firmware-state" data-testid="firmware-state">
          {describeProgress(job.progress)}
        </p>
      ) : ready ? (
        <p className="firmware-state firmware-ready" data-testid="firmware-state">
          {describeReady(ready)}
        </p>
      ) : (
        <button type="button" onClick={prepare}>
          Get iOS ready
        </button>
      )}
      <button type="button" className="link-button" onClick={() => navigate(store, { screen: 'firmware', phoneId: phone.id })}>
        Firmware details
      </button>
      {problem && <p role="alert">{problem}</p>}
    </div>
  );
}
