import { passcodeGuidance } from '../../common/passcode-guidance';

/** After the restore: the new passcode on this model and iOS, and what a backup does not bring back (common/passcode-guidance.ts). */
export function NewPasscodeGuide({ iosVersion, productType }: { iosVersion: string | null; productType: string | null }) {
  const guidance = passcodeGuidance(iosVersion, productType);
  return (
    <section className="new-passcode-guide" aria-labelledby="new-passcode-heading">
      <h3 id="new-passcode-heading">Your new passcode</h3>
      <ol>
        {guidance.steps.map((step) => (
          <li key={step}>{step}</li>
        ))}
      </ol>
      <p>{guidance.notInBackup}</p>
      <h4>Screen Time</h4>
      <p>{guidance.screenTime}</p>
      <h4>What an iCloud Backup brings back</h4>
      <p>{guidance.iCloudBackup}</p>
    </section>
  );
}
