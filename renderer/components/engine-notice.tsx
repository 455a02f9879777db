import type { EngineStatus } from '../../common/api';
import { useLifeline } from '../store/use-lifeline';
import { HostNotice } from './host-notice';

function noticeFor(status: EngineStatus | null): { title: string; detail: string; fix: string } | null {
  if (status?.state === 'restarting') {
    return {
      title: 'Lifeline is restarting the part that talks to phones',
      detail: 'It stopped unexpectedly and is starting again. Anything it was doing has stopped; each task says what to do next.',
      fix: 'Wait a moment: this window catches up by itself. Leave the phone plugged in.',
    };
  }
  if (status?.state === 'stopped') {
    return {
      title: 'The part of Lifeline that talks to phones could not be started',
      detail: status.reason,
      fix: 'Quit Lifeline and open it again. If it keeps happening, note what you did just before and contact support.',
    };
  }
  return null;
}

/** A calm banner while the engine process restarts (or could not be started); the live region announces it. */
export function EngineNotice() {
  const status = useLifeline((s) => s.engineStatus);
  const notice = noticeFor(status);
  return <div aria-live="polite">{notice && <HostNotice id="engine-notice" {...notice} />}</div>;
}
