import type { Phone } from '../../../common/phone';

/** A phone stuck in recovery: restart it normally, nothing erased. */
export function CoachExitRecovery({ busy, onExit }: { busy: boolean; onExit(): void }) {
  return (
    <section className="coach-exit" aria-labelledby="coach-exit-title">
      <h2 id="coach-exit-title">Stuck in recovery mode?</h2>
      <p>Lifeline can restart the phone normally without erasing anything.</p>
      <button type="button" className="primary" disabled={busy} onClick={onExit}>
        Exit recovery mode
      </button>
    </section>
  );
}

/** A phone running normally: recovery mode by software when it trusts this computer, else why the buttons must do it. */
export function CoachEnterRecovery({ phone, busy, onEnter }: { phone: Phone; busy: boolean; onEnter(): void }) {
  return (
    <p>
      {phone.trusted ? (
        <button type="button" onClick={onEnter} disabled={busy}>
          Put into recovery mode for me
        </button>
      ) : (
        'This phone doesn’t trust this computer, so Lifeline can’t switch it to recovery mode by itself: the buttons will do it.'
      )}
    </p>
  );
}
