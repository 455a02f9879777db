import type { JourneySnapshot } from '../../common/contract/journey';
import { usbBackendWords, type Phone } from '../../common/phone';
import { HostNotice, UsbAccessNote } from '../components/host-notice';
import { JourneyCard } from '../components/journey-card';
import { JourneyStepper } from '../components/journey-stepper';
import { PlugInDrawing } from '../components/plug-in-drawing';
import { PracticePanel } from '../components/practice-panel';
import { StatusAnnouncer } from '../components/status-announcer';
import { TOOLS } from '../navigation';
import { announcePhones, describeMode } from '../phone-words';
import { navigate } from '../store/lifeline-store';
import { useLifeline, useLifelineStore } from '../store/use-lifeline';

/** Host problems, only when they matter: usbmuxd missing, the USB rule or Apple's driver. */
function HostNotices() {
  const host = useLifeline((s) => s.host);
  if (!host) return null;
  return (
    <>
      {host.usbmux.state === 'unavailable' && (
        <HostNotice
          id="usbmux-notice"
          title="Phones that are switched on can't be seen yet"
          detail={host.usbmux.detail}
          fix={host.usbmux.fix}
        />
      )}
      {host.usb.state === 'unavailable' && (
        <HostNotice
          id="usb-notice"
          title="Phones in recovery or DFU mode can't be seen yet"
          detail={host.usb.detail}
          fix={host.usb.fix}
          {...(host.usb.backend ? { via: usbBackendWords(host.usb.backend) } : {})}
        />
      )}
      <UsbAccessNote usb={host.usb} />
    </>
  );
}

/** A phone Lifeline sees but has no journey for yet (being recognised, or the engine would not start one). */
function PhoneWithoutJourney({ phone }: { phone: Phone }) {
  const headingId = `phone-${phone.id}-waiting`;
  return (
    <article className="journey-card" aria-labelledby={headingId}>
      <div className="journey-card-who">
        <h2 id={headingId}>{phone.deviceName ?? phone.model.name}</h2>
        <p className="journey-card-model">{phone.connected ? describeMode(phone.mode) : 'Not connected'}</p>
      </div>
      <p className="journey-card-title">{phone.identifying ? 'Recognising this phone…' : phone.triage.headline}</p>
    </article>
  );
}

function byName(a: JourneySnapshot, b: JourneySnapshot): number {
  return a.name.localeCompare(b.name) || a.phoneId.localeCompare(b.phoneId);
}

/** The first screen: "Plug in" while there is no phone; else each phone with its one obvious next step. */
export function HomeScreen() {
  const store = useLifelineStore();
  const phones = useLifeline((s) => s.phones);
  const journeys = useLifeline((s) => s.journeys);
  const engine = useLifeline((s) => s.engine);
  const list = Object.values(journeys).sort(byName);
  const without = phones.filter((phone) => !journeys[phone.id]);
  const empty = list.length === 0 && without.length === 0;

  const status =
    engine === 'connecting'
      ? 'Starting Lifeline…'
      : engine === 'lost'
        ? 'Lost contact with the Lifeline engine. Reconnecting…'
        : announcePhones(phones);

  const tools = (
    <ul className="quiet-actions" aria-label="More">
      {list.length > 1 && (
        <li>
          <button type="button" className="link-button" onClick={() => navigate(store, { screen: 'technician' })}>
            All phones in a table
          </button>
        </li>
      )}
      <li>
        <button type="button" className="link-button" onClick={() => navigate(store, TOOLS)}>
          Phone details and tools
        </button>
      </li>
    </ul>
  );

  if (empty) {
    return (
      <div className="journey-layout">
        <JourneyStepper step="connect" />
        <main className="journey-main" aria-labelledby="home-title">
          <div className="journey-content">
            <h1 id="home-title">Plug in your iPhone</h1>
            <p className="lead">Locked, stuck on the Apple logo, or showing a cable? Plug it in.</p>
            <div className="plug-in">
              <PlugInDrawing />
              <ul className="plug-in-tips">
                <li>Use a cable that can carry data, straight into this computer.</li>
                <li>If the phone asks whether to trust this computer and you can unlock it, tap Trust.</li>
                <li>A black or stuck screen is fine: Lifeline can still see it.</li>
              </ul>
            </div>
            <HostNotices />
            {tools}
            <PracticePanel />
            <StatusAnnouncer message={status} />
          </div>
        </main>
      </div>
    );
  }

  return (
    <div className="journey-layout">
      <main className="journey-main" aria-labelledby="home-title">
        <div className="journey-content wide">
          <h1 id="home-title">{list.length + without.length === 1 ? 'Your iPhone' : 'Your phones'}</h1>
          <p className="lead">Each phone shows its next step. Lifeline does one thing at a time and asks before anything is erased.</p>
          <ul className="journey-cards">
            {list.map((journey) => (
              <li key={journey.phoneId}>
                <JourneyCard journey={journey} />
              </li>
            ))}
            {without.map((phone) => (
              <li key={phone.id}>
                <PhoneWithoutJourney phone={phone} />
              </li>
            ))}
          </ul>
          <HostNotices />
          {tools}
          <PracticePanel />
          <StatusAnnouncer message={status} />
        </div>
      </main>
    </div>
  );
}
