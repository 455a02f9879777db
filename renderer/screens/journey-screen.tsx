import type { JourneyAction, JourneySnapshot } from '../../common/contract/journey';
import { JourneyStepper } from '../components/journey-stepper';
import { PhoneStrip } from '../components/phone-strip';
import { PlugInDrawing } from '../components/plug-in-drawing';
import { StatusAnnouncer } from '../components/status-announcer';
import { FAILED_STATES, WORKING_STATES } from '../journey/journey-words';
import { HOME } from '../navigation';
import { dropJourney, navigate } from '../store/lifeline-store';
import { useLifelineApi, useLifelineStore } from '../store/use-lifeline';
import { PrimaryAction, QuietActions } from './journey/journey-buttons';
import { JourneyChoosing } from './journey/journey-choosing';
import { JourneyCoachReady, JourneyCoaching, PracticeHands } from './journey/journey-coach';
import { JourneyConfirm } from './journey/journey-confirm';
import { JourneyDone } from './journey/journey-done';
import { JourneyFailure } from './journey/journey-failure';
import { JourneyPasscode } from './journey/journey-passcode';
import { JourneyPassword } from './journey/journey-password';
import { JourneyWorking } from './journey/journey-working';
import { useJourney, useJourneyAct, type JourneyActing } from './journey/use-journey';

/** The state's own part of the screen (between the headline and the buttons). */
function JourneyBody({ journey }: { journey: JourneySnapshot }) {
  const { state } = journey;
  if (state === 'waitingForPhone') return <PlugInDrawing />;
  if (state === 'choosing') return <JourneyChoosing journey={journey} />;
  if (state === 'coachReady') return <JourneyCoachReady journey={journey} />;
  if (state === 'coaching') return <JourneyCoaching journey={journey} />;
  if (state === 'newPasscode') return <JourneyPasscode journey={journey} />;
  if (state === 'done') return <JourneyDone journey={journey} />;
  if (WORKING_STATES.has(state)) return <JourneyWorking journey={journey} />;
  if (FAILED_STATES.has(state) || state === 'backupPassword') return <JourneyFailure journey={journey} />;
  return null;
}

/** The one primary button, or the form that holds it when something must be typed first. */
function JourneyPrimary({ journey, acting, onDone }: { journey: JourneySnapshot; acting: JourneyActing; onDone: () => void }) {
  const next = journey.next;
  if (next?.id === 'checkPassword') return <JourneyPassword next={next} acting={acting} />;
  if (next?.id === 'confirmErase') return <JourneyConfirm journey={journey} next={next} acting={acting} />;
  if (next) {
    return (
      <div className="journey-primary">
        <PrimaryAction action={next} disabled={acting.busy} onPress={() => void acting.act(next)} />
      </div>
    );
  }
  if (journey.state === 'done') {
    return (
      <div className="journey-primary">
        <button type="button" className="primary big" onClick={onDone}>
          Finish
        </button>
      </div>
    );
  }
  return null;
}

/** One phone's rescue: the phone and its photos always in view, the steps, then this state's one screen. */
export function JourneyScreen({ phoneId }: { phoneId: string }) {
  const journey = useJourney(phoneId);
  const acting = useJourneyAct(phoneId);
  const store = useLifelineStore();
  const api = useLifelineApi();
  const home = (): void => navigate(store, HOME);

  if (!journey) {
    return (
      <main className="screen" aria-labelledby="journey-title">
        <h1 id="journey-title">No rescue for this phone</h1>
        <p className="lead">Lifeline has no rescue in progress for this phone. Plug it in to start one.</p>
        <button type="button" className="primary big" onClick={home}>
          See all phones
        </button>
      </main>
    );
  }

  const finish = (): void => {
    void api.invoke('journey.forget', { phoneId }).then(({ forgotten }) => {
      if (forgotten) dropJourney(store, phoneId);
      home();
    }, home);
  };
  const counting = journey.state === 'coaching';
  return (
    <div className={`journey-layout${counting ? ' journey-counting' : ''}`} data-state={journey.state}>
      <PhoneStrip
        name={journey.name}
        modelName={journey.modelName}
        mode={journey.mode}
        connected={journey.connected}
        safety={journey.safety}
      >
        <button type="button" className="link-button" onClick={home}>
          All phones
        </button>
      </PhoneStrip>
      <JourneyStepper step={journey.step} />
      <main className="journey-main" aria-labelledby="journey-title">
        <div className="journey-content">
          <h1 id="journey-title" className={counting ? 'visually-hidden' : undefined}>
            {journey.title}
          </h1>
          {!counting && journey.message && <p className="lead">{journey.message}</p>}
          {journey.notice && (
            <p className="journey-notice" role="note">
              {journey.notice}
            </p>
          )}
          <JourneyBody journey={journey} />
          <JourneyPrimary journey={journey} acting={acting} onDone={finish} />
          {acting.problem && (
            <p role="alert" className="journey-refused">
              {acting.problem.title}
              {acting.problem.detail ? ` ${acting.problem.detail}` : ''}
            </p>
          )}
          <QuietActions actions={journey.secondary} disabled={acting.busy} onPress={(action: JourneyAction) => void acting.act(action)} />
          {journey.state === 'coachReady' && <PracticeHands phoneId={journey.phoneId} />}
        </div>
      </main>
      <StatusAnnouncer message={`${journey.name}: ${journey.title}.`} hidden />
    </div>
  );
}
