/** A calm explanation of why some phones can't be seen, with the fix. */
export function HostNotice({ id, title, detail, fix }: { id: string; title: string; detail: string; fix: string }) {
  return (
    <aside className="notice" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      <p>{detail}</p>
      <p>{fix}</p>
    </aside>
  );
}
