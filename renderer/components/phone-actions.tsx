import type { Phone } from '../../common/phone';
import { BackupCardAction } from './backup-card-action';
import { CoachCardAction } from './coach-card-action';
import { FirmwareCardAction } from './firmware-card-action';
import { RestoreCardAction } from './restore-card-action';

/**
 * What the person can do next with this phone. Each capability adds its own action component to this list;
 * an action decides for itself whether it applies (e.g. "Back up now" only when triage says it can work).
 */
const ACTIONS: ReadonlyArray<(props: { phone: Phone }) => React.ReactNode> = [
  BackupCardAction,
  CoachCardAction,
  FirmwareCardAction,
  RestoreCardAction,
];

export function PhoneActions({ phone }: { phone: Phone }) {
  if (ACTIONS.length === 0) return null;
  return (
    <div className="phone-actions">
      {ACTIONS.map((Action, index) => (
        <Action key={index} phone={phone} />
      ))}
    </div>
  );
}
