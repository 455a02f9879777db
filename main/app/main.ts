/**
 * Electron entry: thin on purpose — windows, menus, dialogs, sleep blocker and progress. The engine runs in its
 * own utility process (main/transport/engine-host-entry.ts), supervised and restarted if it dies.
 */
import path from 'node:path';
import { app, dialog, powerSaveBlocker, session, shell, type BrowserWindow } from 'electron';
import type { LifelineApi } from '../../common/api';
import { engineArguments, engineOptionsFromArguments } from '../transport/engine-arguments';
import { EngineSupervisor } from '../transport/engine-supervisor';
import { registerAppScheme, serveRenderer } from './app-protocol';
import { forkEngineProcess } from './engine-process';
import { registerIpc } from './ipc';
import { JobMirror } from './job-mirror';
import { createMainWindow } from './main-window';
import { hardenSession, hardenWebContents, isAllowedExternalUrl } from './security';

const outDir = path.resolve(import.meta.dirname, '..');
const preloadPath = path.join(outDir, 'preload', 'index.cjs');
const engineHostPath = path.join(outDir, 'main', 'engine-host.js');
/** `--demo` (practice mode) and `--usbip HOST:PORT` are passed on to the engine process. */
const engineOptions = engineOptionsFromArguments(process.argv);

/** Taskbar progress, keep-awake while a job runs, and a confirmation before closing mid-job. */
function attachDesktop(engine: LifelineApi & { close(): Promise<void> }, window: BrowserWindow): () => void {
  const mirror = new JobMirror({
    setProgress: (fraction, mode) => {
      if (!window.isDestroyed()) window.setProgressBar(fraction, { mode });
    },
    preventSleep: () => {
      const id = powerSaveBlocker.start('prevent-app-suspension');
      return () => powerSaveBlocker.stop(id);
    },
  });
  const offJobs = engine.on('jobs.changed', (summary) => mirror.jobChanged(summary));
  const offProgress = engine.on('progress', (progress) => mirror.progress(progress));
  let stopping = false;
  window.on('close', (event) => {
    if (!mirror.busy || stopping) return;
    event.preventDefault();
    const choice = dialog.showMessageBoxSync(window, {
      type: 'warning',
      buttons: ['Keep working', 'Stop and quit'],
      defaultId: 0,
      cancelId: 0,
      message: 'Lifeline is still working with your phone.',
      detail: 'Quitting now stops it safely: your previous backup and downloaded files are left exactly as they were, but the current step will have to be started again.',
    });
    if (choice !== 1) return;
    stopping = true;
    // Closing the engine cancels its jobs and waits for them to wind down.
    void engine.close().finally(() => window.close());
  });
  return () => {
    offJobs();
    offProgress();
    mirror.dispose();
  };
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  registerAppScheme();

  app.on('web-contents-created', (_event, contents) => {
    hardenWebContents(contents, (url) => (isAllowedExternalUrl(url) ? shell.openExternal(url) : undefined));
  });

  void app.whenReady().then(async () => {
    hardenSession(session.defaultSession);
    serveRenderer(path.join(outDir, 'renderer'));
    const engine = new EngineSupervisor({
      spawn: () => forkEngineProcess(engineHostPath, engineArguments(engineOptions)),
      log: (line) => console.error(line),
    });
    // Its progress (and a start that keeps failing) reaches the window as engine.status.
    void engine.start().catch(() => undefined);
    const unregister = registerIpc(engine);
    let window = createMainWindow(preloadPath);
    let detachDesktop = attachDesktop(engine, window);

    app.on('second-instance', () => {
      if (window.isMinimized()) window.restore();
      window.focus();
    });
    app.on('activate', () => {
      if (!window.isDestroyed()) return;
      window = createMainWindow(preloadPath);
      detachDesktop = attachDesktop(engine, window);
    });
    app.on('window-all-closed', () => app.quit());
    app.on('will-quit', () => {
      detachDesktop();
      unregister();
      void engine.close();
    });
  });
}
