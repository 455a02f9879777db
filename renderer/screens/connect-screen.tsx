import { usbBackendWords } from '../../common/phone';
import { HostNotice, UsbAccessNote } from '../components/host-notice';
import { PhoneCard } from '../components/phone-card';
import { PracticePanel } from '../components/practice-panel';
import { StatusAnnouncer } from '../components/status-announcer';
import { HOME } from '../navigation';
import { announcePhones } from '../phone-words';
import { navigate } from '../store/lifeline-store';
import { useLifeline, useLifelineStore } from '../store/use-lifeline';

export function ConnectScreen() {
  const phones = useLifeline((s) => s.phones);
  const host = useLifeline((s) => s.host);
  const engine = useLifeline((s) => s.engine);
  const store = useLifelineStore();

  const status =
    engine === 'connecting'
      ? 'Starting Lifeline…'
      : engine === 'lost'
        ? 'Lost contact with the Lifeline engine. Reconnecting…'
        : announcePhones(phones);

  return (
    <main className="screen" aria-labelledby="connect-title">
      <button type="button" className="link-button" onClick={() => navigate(store, HOME)}>
        Back to the next steps
      </button>
      <h1 id="connect-title">Connect your iPhone</h1>
      <p className="lead">
        Plug your iPhone into this computer with a USB cable. It can be locked, stuck on the Apple logo, or showing a computer and cable.
      </p>

      {phones.length === 0 ? (
        <section className="waiting" aria-labelledby="waiting-title">
          <h2 id="waiting-title">Waiting for an iPhone</h2>
          <ol className="steps">
            <li>Use a cable you know can carry data, plugged straight into the computer (not a hub).</li>
            <li>If the iPhone asks whether to trust this computer and you can unlock it, tap Trust.</li>
            <li>If the screen is black or stuck, plug it in anyway — Lifeline can still see it.</li>
          </ol>
        </section>
      ) : (
        <section aria-labelledby="phones-title">
          <h2 id="phones-title">{phones.length === 1 ? 'Your iPhone' : 'Connected phones'}</h2>
          <ul className="phone-list">
            {phones.map((phone) => (
              <li key={phone.id}>
                <PhoneCard phone={phone} />
              </li>
            ))}
          </ul>
        </section>
      )}

      {host?.usbmux.state === 'unavailable' && (
        <HostNotice
          id="usbmux-notice"
          title="Phones that are switched on can't be seen yet"
          detail={host.usbmux.detail}
          fix={host.usbmux.fix}
        />
      )}
      {host?.usb.state === 'unavailable' && (
        <HostNotice
          id="usb-notice"
          title="Phones in recovery or DFU mode can't be seen yet"
          detail={host.usb.detail}
          fix={host.usb.fix}
          {...(host.usb.backend ? { via: usbBackendWords(host.usb.backend) } : {})}
        />
      )}
      {host && <UsbAccessNote usb={host.usb} />}

      <PracticePanel />

      <StatusAnnouncer message={status} />
    </main>
  );
}
