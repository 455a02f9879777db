import { useId, useState } from 'react';
import type { JourneyAction, JourneySnapshot } from '../../../common/contract/journey';
import { PrimaryAction } from './journey-buttons';
import type { JourneyActing } from './use-journey';

/** "Before we erase": what is lost, what comes back, the Apple ID note; the erase waits for the typed word. */
export function JourneyConfirm({ journey, next, acting }: { journey: JourneySnapshot; next: JourneyAction; acting: JourneyActing }) {
  const [typed, setTyped] = useState('');
  const inputId = useId();
  const hintId = useId();
  const confirmation = journey.confirmation;
  if (!confirmation) return null;
  const matches = typed.trim().toLowerCase() === confirmation.phrase.toLowerCase();
  const submit = (): void => {
    if (matches) void acting.act(next, { typed });
  };
  return (
    <div className="journey-confirm">
      <div className="journey-confirm-facts">
        <section aria-labelledby="lost-title">
          <h2 id="lost-title">What is erased</h2>
          <ul>
            {confirmation.willBeLost.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </section>
        <section aria-labelledby="back-title">
          <h2 id="back-title">What comes back</h2>
          <p>{confirmation.comesBack}</p>
        </section>
        <section aria-labelledby="apple-id-title">
          <h2 id="apple-id-title">Apple ID</h2>
          <p>{confirmation.activationLock}</p>
        </section>
      </div>
      <form
        className="journey-form"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <label htmlFor={inputId}>Type “{confirmation.phrase}” to confirm</label>
        <input
          id={inputId}
          type="text"
          autoComplete="off"
          spellCheck={false}
          value={typed}
          maxLength={200}
          aria-describedby={hintId}
          onChange={(event) => setTyped(event.target.value)}
        />
        <p id={hintId} className="journey-hint">
          The button works once the word is typed.
        </p>
        <div className="journey-primary">
          <PrimaryAction action={next} disabled={acting.busy || !matches} onPress={submit} />
        </div>
      </form>
    </div>
  );
}
