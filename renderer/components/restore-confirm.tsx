import { useId, useState } from 'react';
import type { RestoreChoice } from '../../common/api';

/**
 * The last step before anything happens. An erase is confirmed by typing the phone's name (or "erase"), so it is never
 * one click away; an update by its button.
 */
export function RestoreConfirm({
  choice,
  phoneName,
  starting,
  onConfirm,
  onBack,
}: {
  choice: RestoreChoice;
  phoneName: string;
  starting: boolean;
  onConfirm(): void;
  onBack(): void;
}) {
  const [typed, setTyped] = useState('');
  const inputId = useId();
  const hintId = useId();
  const answer = typed.trim();
  const confirmed = choice === 'update' || answer.toLowerCase() === 'erase' || answer === phoneName;
  return (
    <form
      className="restore-confirm"
      aria-label={choice === 'erase' ? 'Confirm the erase' : 'Confirm the update'}
      onSubmit={(event) => {
        event.preventDefault();
        if (confirmed && !starting) onConfirm();
      }}
    >
      {choice === 'erase' ? (
        <>
          <p className="restore-warning">Everything on {phoneName} will be deleted. This cannot be undone.</p>
          <label htmlFor={inputId}>Type the phone’s name ({phoneName}) or the word “erase” to confirm</label>
          <input
            id={inputId}
            type="text"
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            autoComplete="off"
            spellCheck={false}
            aria-describedby={hintId}
          />
          <p id={hintId} className="restore-hint">
            Keep the phone plugged in until Lifeline says the restore is finished.
          </p>
        </>
      ) : (
        <p className="restore-hint">{phoneName} keeps its data. Keep the phone plugged in until Lifeline says the update is finished.</p>
      )}
      <div className="restore-buttons">
        <button type="button" onClick={onBack}>
          Choose again
        </button>
        <button type="submit" className="primary" disabled={!confirmed || starting}>
          {choice === 'erase' ? `Erase ${phoneName}` : `Update ${phoneName}`}
        </button>
      </div>
    </form>
  );
}
