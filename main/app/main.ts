/** Electron entry: thin on purpose — it composes the engine and adapts it to the desktop. */
import path from 'node:path';
import { app, dialog, powerSaveBlocker, session, shell, type BrowserWindow } from 'electron';
import { createAppEngine } from '../rescue/create-engine';
import type { Engine } from '../rescue/engine';
import { registerAppScheme, serveRenderer } from './app-protocol';
import { registerIpc } from './ipc';
import { JobMirror } from './job-mirror';
import { createMainWindow } from './main-window';
import { hardenSession, hardenWebContents, isAllowedExternalUrl } from './security';

const outDir = path.resolve(import.meta.dirname, '..');
const preloadPath = path.join(outDir, 'preload', 'index.cjs');
const demo = process.argv.includes('--demo');

/** `--usbip HOST:PORT` or `--usbip=HOST:PORT`: drive phones shared by a USB/IP server instead of local USB. */
function usbipArgument(argv: readonly string[]): string | undefined {
  const index = argv.findIndex((arg) => arg === '--usbip' || arg.startsWith('--usbip='));
  if (index < 0) return undefined;
  const arg = argv[index]!;
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[index + 1];
}
const usbip = usbipArgument(process.argv);

/** Taskbar progress, keep-awake while a job runs, and a confirmation before closing mid-job. */
function attachDesktop(engine: Engine, window: BrowserWindow): () => void {
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
    void engine.jobs.cancelAll().finally(() => window.close());
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
    const engine = await createAppEngine({ demo, ...(usbip ? { usbip } : {}) });
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
