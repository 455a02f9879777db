import { RestoreResultSchema, type JobSummary } from '../../common/api';
import { nextOnThePhone } from '../restore-words';
import { NewPasscodeGuide } from './new-passcode-guide';
import { ProblemSteps } from './problem-steps';

/** How the restore ended: what happens next on the phone, or the Problem with its next steps. */
export function RestoreOutcome({
  state,
  result,
  problem,
  productType,
  onAgain,
}: {
  state: JobSummary['state'];
  result: unknown;
  problem: JobSummary['problem'];
  productType: string | null;
  onAgain(): void;
}) {
  if (state === 'succeeded') {
    const parsed = RestoreResultSchema.safeParse(result);
    return (
      <section className="restore-outcome restore-outcome-ok" aria-labelledby="restore-done-title">
        <h2 id="restore-done-title">{parsed.success && parsed.data.choice === 'update' ? 'Update finished' : 'Restore finished'}</h2>
        {parsed.success && <p>The phone now has iOS {parsed.data.firmware.version}.</p>}
        <h3>What happens next on the phone</h3>
        <ul>{parsed.success && nextOnThePhone(parsed.data).map((step) => <li key={step}>{step}</li>)}</ul>
        {parsed.success && parsed.data.choice === 'erase' && (
          <NewPasscodeGuide iosVersion={parsed.data.firmware.version} productType={productType} />
        )}
      </section>
    );
  }
  if (state === 'cancelled') {
    return (
      <section className="restore-outcome" aria-labelledby="restore-cancelled-title">
        <h2 id="restore-cancelled-title">Restore cancelled</h2>
        <p>Nothing was sent to the phone: it is as it was.</p>
        <button type="button" onClick={onAgain}>
          Start again
        </button>
      </section>
    );
  }
  return (
    <section className="restore-outcome restore-outcome-failed" aria-labelledby="restore-failed-title">
      <h2 id="restore-failed-title">{problem?.title ?? 'The restore stopped'}</h2>
      <ProblemSteps problem={problem} />
      <button type="button" className="primary" onClick={onAgain}>
        Try the restore again
      </button>
    </section>
  );
}
