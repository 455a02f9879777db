import type { JourneyAction } from '../../../common/contract/journey';

/** The screen's one primary button (a danger button for the erase). */
export function PrimaryAction({
  action,
  onPress,
  disabled = false,
  describedBy,
}: {
  action: JourneyAction;
  onPress: () => void;
  disabled?: boolean;
  describedBy?: string;
}) {
  return (
    <button
      type="button"
      className={action.destructive ? 'primary danger big' : 'primary big'}
      disabled={disabled}
      onClick={onPress}
      data-action={action.id}
      {...(describedBy ? { 'aria-describedby': describedBy } : {})}
    >
      {action.label}
    </button>
  );
}

/** Everything else the person could do, as quiet links in one row. */
export function QuietActions({
  actions,
  onPress,
  disabled = false,
}: {
  actions: JourneyAction[];
  onPress: (action: JourneyAction) => void;
  disabled?: boolean;
}) {
  if (actions.length === 0) return null;
  return (
    <ul className="quiet-actions" aria-label="Other choices">
      {actions.map((action) => (
        <li key={`${action.id}-${action.backupId ?? ''}`}>
          <button type="button" className="link-button" disabled={disabled} onClick={() => onPress(action)} data-action={action.id}>
            {action.label}
          </button>
        </li>
      ))}
    </ul>
  );
}
