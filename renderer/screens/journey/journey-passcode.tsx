import type { JourneySnapshot } from '../../../common/contract/journey';

/** Where the passcode setting is on this phone's iOS, in steps, with the Screen Time caveat. */
export function JourneyPasscode({ journey }: { journey: JourneySnapshot }) {
  const guidance = journey.passcodeGuidance ?? [];
  return (
    <div className="journey-passcode">
      {guidance.length > 0 && (
        <ol className="journey-guidance" aria-label="On the phone">
          {guidance.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ol>
      )}
      <p className="journey-hint">
        An old Screen Time passcode can come back with the backup; you can change it in Settings › Screen Time.
      </p>
    </div>
  );
}
