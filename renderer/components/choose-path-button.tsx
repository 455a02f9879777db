import { useState } from 'react';
import type { PathPurpose } from '../../common/api';
import { useCommand } from '../hooks/use-command';
import { useLifelineApi } from '../store/use-lifeline';

/**
 * "Choose…" beside a path field: the desktop app's native dialog (app.choosePath, answered by its shell). Shown only in
 * the Electron build; the browser build keeps the typed path field alone.
 */
export function ChoosePathButton({
  purpose,
  onChosen,
  label = 'Choose…',
}: {
  purpose: PathPurpose;
  onChosen: (path: string) => void;
  label?: string;
}) {
  const api = useLifelineApi();
  const info = useCommand('app.info', {});
  const [open, setOpen] = useState(false);
  if (info.data?.transport !== 'electron') return null;
  const choose = () => {
    setOpen(true);
    api
      .invoke('app.choosePath', { purpose })
      .then((chosen) => {
        if (chosen.path !== null) onChosen(chosen.path);
      })
      .catch(() => undefined)
      .finally(() => setOpen(false));
  };
  return (
    <button type="button" onClick={choose} disabled={open}>
      {label}
    </button>
  );
}
