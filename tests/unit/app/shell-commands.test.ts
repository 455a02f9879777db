import { describe, expect, it } from 'vitest';
import type { LifelineApi } from '../../../common/api';
import { choosePath, dialogSpecFor, withShellCommands, type PathDialogSpec } from '../../../main/app/shell-commands';

describe('native path dialogs answered by the shell', () => {
  it('opens an .ipsw file, a backup folder, or saves a zip under the suggested name', () => {
    expect(dialogSpecFor('ipsw')).toMatchObject({ kind: 'open', properties: ['openFile'], filters: [{ extensions: ['ipsw'] }] });
    expect(dialogSpecFor('backup-folder')).toMatchObject({ kind: 'open', properties: expect.arrayContaining(['openDirectory']) });
    expect(dialogSpecFor('diagnostics-zip', 'lifeline-diagnostics-2025-05-03.zip')).toMatchObject({
      kind: 'save',
      defaultPath: 'lifeline-diagnostics-2025-05-03.zip',
    });
  });

  it('gives the chosen full path, null on cancel, and refuses what the one path rule refuses', async () => {
    const shown: PathDialogSpec[] = [];
    const answer = (path: string | null) => async (spec: PathDialogSpec) => (shown.push(spec), path);
    expect(await choosePath({ purpose: 'ipsw' }, answer('/home/anna/Downloads/iPhone.ipsw'))).toEqual({
      available: true,
      path: '/home/anna/Downloads/iPhone.ipsw',
    });
    expect(await choosePath({ purpose: 'backup-folder' }, answer(null))).toEqual({ available: true, path: null });
    expect(await choosePath({ purpose: 'ipsw' }, answer('\\\\server\\share\\x.ipsw'))).toEqual({ available: true, path: null });
    await expect(choosePath({ purpose: 'anything' }, answer('/x'))).rejects.toMatchObject({ problem: { code: 'bad-request' } });
    expect(shown).toHaveLength(3);
  });

  it('answers app.choosePath itself and forwards every other command to the engine', async () => {
    const forwarded: string[] = [];
    const engine = {
      invoke: async (command: string) => (forwarded.push(command), { available: false, path: null }),
      on: () => () => undefined,
    } as unknown as LifelineApi;
    const api = withShellCommands(engine, async () => 'C:\\Users\\anna\\Desktop\\x.zip');
    expect(await api.invoke('app.choosePath', { purpose: 'diagnostics-zip' })).toEqual({
      available: true,
      path: 'C:\\Users\\anna\\Desktop\\x.zip',
    });
    await api.invoke('jobs.list', {});
    expect(forwarded).toEqual(['jobs.list']);
  });
});
