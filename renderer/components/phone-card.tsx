import type { Phone } from '../../common/phone';
import { describeMode, describeTrust } from '../phone-words';
import { PhoneActions } from './phone-actions';
import { ProblemHelpLink } from './problem-help-link';
import { PhoneDrawing, buttonFamilyWords } from './phone-drawing';

export function PhoneCard({ phone }: { phone: Phone }) {
  const headingId = `phone-${phone.id}-name`;
  return (
    <article className="phone-card" aria-labelledby={headingId} data-mode={phone.mode} data-connected={phone.connected}>
      <div className="phone-card-header">
        <PhoneDrawing buttons={phone.model.buttons} />
        <div>
          <h3 id={headingId}>{phone.model.name}</h3>
          {phone.deviceName && <p className="phone-name">“{phone.deviceName}”</p>}
          <p className="phone-family">{buttonFamilyWords(phone.model.buttons)}</p>
        </div>
      </div>
      <dl className="phone-facts">
        <div>
          <dt>Mode</dt>
          <dd data-testid="phone-mode">{phone.connected ? describeMode(phone.mode) : 'Reconnecting…'}</dd>
        </div>
        <div>
          <dt>iOS</dt>
          <dd>{phone.iosVersion ?? 'Not known in this mode'}</dd>
        </div>
        <div>
          <dt>This computer</dt>
          <dd>{describeTrust(phone.trusted)}</dd>
        </div>
      </dl>
      <section className={`triage ${phone.triage.canBackUp ? 'triage-yes' : 'triage-no'}`} aria-label="What can be saved">
        <p className="triage-headline">{phone.triage.headline}</p>
        <p>{phone.triage.reason}</p>
        {phone.triage.nextSteps.length > 0 && (
          <ul>
            {phone.triage.nextSteps.map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ul>
        )}
        <ProblemHelpLink url={phone.triage.helpUrl} />
      </section>
      <PhoneActions phone={phone} />
    </article>
  );
}
