import { checkFullPath } from '../../common/full-path';
import { ProblemError, commandSchemas, type ChosenPath, type LifelineApi, type PathPurpose } from '../../common/api';

/** A native dialog as the shell opens it (Electron's showOpenDialog / showSaveDialog take these fields). */
export type PathDialogSpec =
  | {
      kind: 'open';
      title: string;
      properties: Array<'openFile' | 'openDirectory' | 'createDirectory'>;
      filters?: Array<{ name: string; extensions: string[] }>;
    }
  | { kind: 'save'; title: string; defaultPath: string; filters: Array<{ name: string; extensions: string[] }> };

/** Shows a dialog and gives the chosen path, or null when the person cancelled. */
export type ShowPathDialog = (spec: PathDialogSpec) => Promise<string | null>;

export function dialogSpecFor(purpose: PathPurpose, suggestedName?: string): PathDialogSpec {
  switch (purpose) {
    case 'ipsw':
      return {
        kind: 'open',
        title: 'Choose an iOS file (.ipsw)',
        properties: ['openFile'],
        filters: [{ name: 'iOS firmware', extensions: ['ipsw'] }],
      };
    case 'backup-folder':
      return { kind: 'open', title: 'Choose the folder that holds the backups', properties: ['openDirectory', 'createDirectory'] };
    case 'diagnostics-zip':
      return {
        kind: 'save',
        title: 'Save diagnostics',
        defaultPath: suggestedName ?? 'lifeline-diagnostics.zip',
        filters: [{ name: 'Zip archive', extensions: ['zip'] }],
      };
  }
}

/** `app.choosePath` answered by the shell: the request checked against the contract, the answer by the one path rule. */
export async function choosePath(request: unknown, show: ShowPathDialog): Promise<ChosenPath> {
  const parsed = commandSchemas['app.choosePath'].request.safeParse(request ?? {});
  if (!parsed.success) throw new ProblemError('bad-request', { command: 'app.choosePath', issue: parsed.error.message });
  const chosen = await show(dialogSpecFor(parsed.data.purpose, parsed.data.suggestedName));
  if (chosen === null) return { available: true, path: null };
  const checked = checkFullPath(chosen);
  return { available: true, path: checked.ok ? checked.path : null };
}

/** The engine's contract with the commands only the shell can answer (native dialogs) answered here. */
export function withShellCommands(api: LifelineApi, show: ShowPathDialog): LifelineApi {
  return {
    invoke: (command, request) =>
      command === 'app.choosePath'
        ? (choosePath(request, show) as ReturnType<typeof api.invoke<typeof command>>)
        : api.invoke(command, request),
    on: (event, listener) => api.on(event, listener),
  };
}
