import type { HostChecklist } from '../../common/contract/coach';

/** The cable / port / system checks (docs/protocols/coach.md#host-checks). */
export function CoachChecklist({ checks, title }: { checks: HostChecklist; title: string }) {
  return (
    <section className="coach-checklist" aria-labelledby="coach-checklist-title">
      <h2 id="coach-checklist-title">{title}</h2>
      <ul>
        {checks.map((check) => (
          <li key={check.id}>
            <strong>{check.title}.</strong> {check.detail}
          </li>
        ))}
      </ul>
    </section>
  );
}
