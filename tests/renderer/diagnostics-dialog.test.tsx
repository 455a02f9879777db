import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { AppInfo, DiagnosticsPreview, LifelineApi } from '../../common/api';
import { DiagnosticsDialog } from '../../renderer/components/diagnostics-dialog';
import { LifelineApiContext } from '../../renderer/store/use-lifeline';

const preview: DiagnosticsPreview = {
  files: [
    { name: 'host-facts.json', bytes: 600, preview: '{ "os": { "platform": "darwin" } }', shortened: false },
    { name: 'logs/engine.3.log', bytes: 900_000, preview: '{"event":"job.failed","udid":"[udid …5E6F78]"}', shortened: true },
  ],
  leftOut: ['Backups of your phones and anything inside them', 'Passwords and passcodes'],
  suggestedName: 'lifeline-diagnostics-2025-05-03.zip',
};

function fakeApi(transport: AppInfo['transport'], chosen: string | null) {
  const calls: Array<[string, unknown]> = [];
  const api = {
    invoke: async (command: string, request: unknown) => {
      calls.push([command, request]);
      if (command === 'app.info') return { name: 'Lifeline', version: '1', platform: 'darwin', transport, demo: false };
      if (command === 'diagnostics.preview') return preview;
      if (command === 'app.choosePath') return { available: true, path: chosen };
      if (command === 'diagnostics.export') return { path: (request as { path: string }).path, bytes: 1234, files: 2 };
      throw new Error(`unexpected ${command}`);
    },
    on: () => () => undefined,
  } as unknown as LifelineApi;
  return { api, calls };
}

function show(api: LifelineApi) {
  render(
    <LifelineApiContext.Provider value={api}>
      <DiagnosticsDialog />
    </LifelineApiContext.Provider>,
  );
}

describe('Export diagnostics', () => {
  it('lists every file with its preview and what is left out before anything is saved (browser build: a typed path)', async () => {
    const { api, calls } = fakeApi('web-bridge', null);
    show(api);
    fireEvent.click(screen.getByRole('button', { name: 'Export diagnostics' }));
    const files = await screen.findByRole('list', { name: 'Files in the diagnostics file', hidden: true });
    expect(files.textContent).toContain('logs/engine.3.log');
    expect(files.textContent).toContain('newest part only');
    expect(files.textContent).toContain('[udid …5E6F78]');
    expect(screen.getByRole('list', { name: 'Never included', hidden: true }).textContent).toContain('Passwords and passcodes');
    expect(screen.queryByRole('button', { name: 'Save…', hidden: true })).toBeNull();
    expect(calls.map(([command]) => command)).not.toContain('diagnostics.export');
    fireEvent.change(screen.getByLabelText('Or type the full path to save it as'), { target: { value: '/home/anna/Desktop/support.zip' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save', hidden: true }));
    expect((await screen.findByRole('status', { hidden: true })).textContent).toBe('Saved 2 files to /home/anna/Desktop/support.zip');
    expect(calls.at(-1)).toEqual(['diagnostics.export', { path: '/home/anna/Desktop/support.zip' }]);
  });

  it('saves through the native save dialog in the desktop app', async () => {
    const { api, calls } = fakeApi('electron', '/Users/anna/Desktop/lifeline-diagnostics-2025-05-03.zip');
    show(api);
    fireEvent.click(screen.getByRole('button', { name: 'Export diagnostics' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Save…', hidden: true }));
    expect((await screen.findByRole('status', { hidden: true })).textContent).toBe(
      'Saved 2 files to /Users/anna/Desktop/lifeline-diagnostics-2025-05-03.zip',
    );
    expect(calls.filter(([command]) => command === 'app.choosePath')).toEqual([['app.choosePath', { purpose: 'diagnostics-zip' }]]);
  });
});
