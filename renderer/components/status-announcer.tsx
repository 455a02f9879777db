/**
 * A polite live region: screen readers read each new message once, without interrupting. It sits in the page's flow
 * (never fixed over the content); `hidden` keeps it for screen readers only where the screen already shows the words.
 */
export function StatusAnnouncer({ message, hidden = false }: { message: string; hidden?: boolean }) {
  return (
    <p className={hidden ? 'visually-hidden' : 'status-area'} role="status" aria-live="polite" aria-atomic="true">
      {message}
    </p>
  );
}
