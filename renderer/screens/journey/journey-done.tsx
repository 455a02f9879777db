import type { JourneySnapshot } from '../../../common/contract/journey';

/** Done: what came back, and with which iOS. */
export function JourneyDone({ journey }: { journey: JourneySnapshot }) {
  return (
    <ul className="journey-summary" aria-label="What was done">
      {journey.firmware && <li>iOS {journey.firmware.version} installed and checked.</li>}
      <li>
        {journey.chosenBackup
          ? `Photos, messages and settings came back from ${journey.chosenBackup.label}.`
          : 'The phone was set up fresh, without a backup.'}
      </li>
      <li>A new passcode keeps it yours.</li>
    </ul>
  );
}
