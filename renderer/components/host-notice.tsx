import { usbBackendWords, type UsbStatus } from '../../common/phone';

/** A calm explanation of why some phones can't be seen, with the fix (and, for USB, which way Lifeline tried). */
export function HostNotice({ id, title, detail, fix, via }: { id: string; title: string; detail: string; fix: string; via?: string }) {
  return (
    <aside className="notice" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {via && <p>Lifeline tried to reach them through {via}.</p>}
      <p>{detail}</p>
      <p>{fix}</p>
    </aside>
  );
}

/** One quiet line saying how phones in recovery or DFU mode are reached, when that is real hardware. */
export function UsbAccessNote({ usb }: { usb: UsbStatus }) {
  if (usb.state !== 'ready' || !usb.backend || usb.backend === 'simulator') return null;
  return <p className="usb-access">Phones in recovery or DFU mode are reached through {usbBackendWords(usb.backend)}.</p>;
}
