import { useRef, useState } from 'react';
import type { JourneySnapshot } from '../../common/contract/journey';
import { STEP_LABELS, percentWords, timeLeftWords } from '../journey/journey-words';
import { HOME } from '../navigation';
import { navigate } from '../store/lifeline-store';
import { useLifeline, useLifelineStore } from '../store/use-lifeline';

const MOVES: Record<string, (index: number, last: number) => number> = {
  ArrowDown: (i, last) => Math.min(last, i + 1),
  ArrowUp: (i) => Math.max(0, i - 1),
  Home: () => 0,
  End: (_, last) => last,
};

function byName(a: JourneySnapshot, b: JourneySnapshot): number {
  return a.name.localeCompare(b.name) || a.phoneId.localeCompare(b.phoneId);
}

/**
 * Several phones side by side: a row per phone with its stage, progress, time left and problem. Keyboard first: Tab
 * reaches the table once, the arrow keys (and Home / End) move between phones, Enter opens the phone's journey.
 */
export function TechnicianScreen() {
  const store = useLifelineStore();
  const journeys = useLifeline((s) => s.journeys);
  const rows = Object.values(journeys).sort(byName);
  const [active, setActive] = useState(0);
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);
  const current = Math.min(active, Math.max(0, rows.length - 1));

  const onKeyDown = (event: React.KeyboardEvent): void => {
    const move = MOVES[event.key];
    if (!move || rows.length === 0) return;
    event.preventDefault();
    const next = move(current, rows.length - 1);
    setActive(next);
    buttons.current[next]?.focus();
  };
  const open = (phoneId: string): void => navigate(store, { screen: 'journey', phoneId });

  return (
    <div className="journey-layout">
      <main className="journey-main technician" aria-labelledby="technician-title">
        <div className="journey-content wide">
          <h1 id="technician-title">All phones</h1>
          <p className="lead" id="technician-help">
            Up and down arrows move between phones; Enter opens one.
          </p>
          {rows.length === 0 ? (
            <p>No phones yet. Plug one in.</p>
          ) : (
            <table className="technician-table" aria-describedby="technician-help">
              <thead>
                <tr>
                  <th scope="col">Phone</th>
                  <th scope="col">Model</th>
                  <th scope="col">Stage</th>
                  <th scope="col">Progress</th>
                  <th scope="col">Time left</th>
                  <th scope="col">Problem</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((journey, index) => (
                  <tr key={journey.phoneId} className={index === current ? 'technician-active' : undefined} data-state={journey.state}>
                    <th scope="row">
                      <button
                        type="button"
                        className="link-button"
                        ref={(element) => {
                          buttons.current[index] = element;
                        }}
                        tabIndex={index === current ? 0 : -1}
                        onFocus={() => setActive(index)}
                        onKeyDown={onKeyDown}
                        onClick={() => open(journey.phoneId)}
                      >
                        {journey.name}
                      </button>
                    </th>
                    <td>{journey.modelName}</td>
                    <td>
                      <span className="technician-step">
                        {journey.stepIndex + 1}/{journey.stepTotal} {STEP_LABELS[journey.step]}
                      </span>
                      <span className="technician-title">{journey.title}</span>
                    </td>
                    <td className="technician-number">
                      <span data-live="percent">{percentWords(journey.progress?.fraction) ?? '—'}</span>
                    </td>
                    <td>
                      <span data-live="time-left">{timeLeftWords(journey.progress?.etaSeconds) ?? '—'}</span>
                    </td>
                    <td>{journey.problem?.title ?? (journey.connected ? '—' : 'Not connected')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <ul className="quiet-actions" aria-label="More">
            <li>
              <button type="button" className="link-button" onClick={() => navigate(store, HOME)}>
                Back to the phones’ next steps
              </button>
            </li>
          </ul>
        </div>
      </main>
    </div>
  );
}
