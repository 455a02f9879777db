import type { RestoreChoice } from '../../common/api';
import { RESTORE_CHOICES } from '../restore-words';

/** Erase or update, each with what it costs; nothing happens until the next step is confirmed. */
export function RestoreChoicePicker({ choice, onChoose }: { choice: RestoreChoice | null; onChoose(choice: RestoreChoice): void }) {
  return (
    <fieldset className="restore-choice">
      <legend>What should happen to the phone?</legend>
      {(Object.keys(RESTORE_CHOICES) as RestoreChoice[]).map((option) => {
        const words = RESTORE_CHOICES[option];
        const id = `restore-choice-${option}`;
        return (
          <div key={option} className="restore-option" data-selected={choice === option}>
            <input
              type="radio"
              id={id}
              name="restore-choice"
              value={option}
              checked={choice === option}
              onChange={() => onChoose(option)}
              aria-describedby={`${id}-costs`}
            />
            <label htmlFor={id}>{words.title}</label>
            <ul id={`${id}-costs`}>
              {words.costs.map((cost) => (
                <li key={cost}>{cost}</li>
              ))}
            </ul>
          </div>
        );
      })}
    </fieldset>
  );
}
