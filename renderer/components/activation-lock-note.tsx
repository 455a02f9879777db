import { useCommand } from '../hooks/use-command';

/**
 * Before an erase: what Activation Lock will ask for afterwards, read from the phone (phone.activationLock), with the
 * facts behind it and Apple's own pages for a forgotten Apple ID password. The restore and journey screens include it.
 */
export function ActivationLockNote({ phoneId }: { phoneId: string }) {
  const lock = useCommand(
    'phone.activationLock',
    { phoneId },
    { fallbackTitle: 'Lifeline could not ask the phone about Activation Lock.' },
  );
  const headingId = `activation-lock-${phoneId}`;
  if (!lock.data) {
    return (
      <section className="activation-lock-note" aria-labelledby={headingId} aria-busy={lock.problem ? undefined : 'true'}>
        <h4 id={headingId}>Activation Lock</h4>
        <p>
          {lock.problem
            ? 'Lifeline could not ask the phone. If Find My is on, after the erase Activation Lock asks for the Apple ID and password that were on the phone.'
            : 'Asking the phone whether Find My is on…'}
        </p>
      </section>
    );
  }
  const { state, evidence, message, links } = lock.data;
  return (
    <section className={`activation-lock-note activation-lock-${state}`} aria-labelledby={headingId}>
      <h4 id={headingId}>Activation Lock: {state === 'on' ? 'on' : state === 'off' ? 'off' : 'not known'}</h4>
      <p>{message}</p>
      <details>
        <summary>What this is based on</summary>
        <ul>
          {evidence.map((fact) => (
            <li key={fact}>{fact}</li>
          ))}
        </ul>
      </details>
      <ul className="activation-lock-links">
        {links.map((link) => (
          <li key={link.url}>
            <a href={link.url} target="_blank" rel="noreferrer">
              {link.label}
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
