import type { JourneySafety } from '../../common/contract/journey';
import type { PhoneMode } from '../../common/phone';
import { describeMode } from '../phone-words';

/**
 * The phone this screen is about, always in view: its name, model and mode, and the one line about its photos.
 * It is the first row of the screen's grid, so it never covers anything.
 */
export function PhoneStrip({
  name,
  modelName,
  mode,
  connected,
  safety,
  children,
}: {
  name: string;
  modelName: string;
  mode: PhoneMode;
  connected: boolean;
  safety: JourneySafety;
  children?: React.ReactNode;
}) {
  return (
    <header className="phone-strip" aria-label="This phone">
      <div className="phone-strip-who">
        <p className="phone-strip-name">{name}</p>
        <p className="phone-strip-model">
          {name === modelName ? '' : `${modelName} · `}
          {connected ? describeMode(mode) : 'Not connected'}
        </p>
      </div>
      <p className={`phone-strip-safety safety-${safety.status}`} data-testid="safety-line">
        {safety.line}
      </p>
      {children && <div className="phone-strip-links">{children}</div>}
    </header>
  );
}
