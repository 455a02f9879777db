/** A polite live region: screen readers read each new message once, without interrupting. */
export function StatusAnnouncer({ message }: { message: string }) {
  return (
    <p className="status-area" role="status" aria-live="polite" aria-atomic="true">
      {message}
    </p>
  );
}
