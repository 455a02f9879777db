/**
 * Electron entry: thin on purpose — windows, menus, dialogs, sleep blocker and progress. The engine runs in its
 * own utility process (main/transport/engine-host-entry.ts), supervised and restarted if it dies.
 */
import path from 'node:path';
import { BrowserWindow, Notification, app, dialog, powerSaveBlocker, session, shell } from 'electron';
import type { LifelineApi } from '../../common/api';
import { engineArguments, engineOptionsFromArguments } from '../transport/engine-arguments';
import { EngineSupervisor } from '../transport/engine-supervisor';
import { logFolder } from '../log/data-folder';
import { logEngineStatus, logJobChange } from '../log/job-log';
import { log, startFileLog } from '../log/log';
import { registerAppScheme, serveRenderer } from './app-protocol';
import { forkEngineProcess } from './engine-process';
import { registerIpc } from './ipc';
import { JobMirror } from './job-mirror';
import { createMainWindow } from './main-window';
import { withShellCommands, type PathDialogSpec } from './shell-commands';
import { hardenSession, hardenWebContents, isAllowedExternalUrl } from './security';

const outDir = path.resolve(import.meta.dirname, '..');
const preloadPath = path.join(outDir, 'preload', 'index.cjs');
const engineHostPath = path.join(outDir, 'main', 'engine-host.js');
/** `--demo` (practice mode) and `--usbip HOST:PORT` are passed on to the engine process. */
const engineOptions = engineOptionsFromArguments(process.argv);

/**
 * Taskbar/dock progress (error mark and badge after a failure), keep-awake while a job or a journey's long step runs,
 * a notification when a long step ends while the window is hidden, and a confirmation before closing mid-step.
 */
function attachDesktop(engine: LifelineApi & { close(): Promise<void> }, window: BrowserWindow): () => void {
  const mirror = new JobMirror({
    setProgress: (fraction, mode) => {
      if (!window.isDestroyed()) window.setProgressBar(fraction, { mode });
    },
    preventSleep: () => {
      const id = powerSaveBlocker.start('prevent-app-suspension');
      return () => powerSaveBlocker.stop(id);
    },
    setBadge: (text) => app.dock?.setBadge(text),
    notify: (title, body) => {
      if (!Notification.isSupported()) return;
      const note = new Notification({ title, body });
      note.on('click', () => {
        if (window.isDestroyed()) return;
        window.show();
        window.focus();
      });
      note.show();
    },
    isWindowHidden: () => window.isDestroyed() || !window.isVisible() || window.isMinimized() || !window.isFocused(),
  });
  const offJobs = engine.on('jobs.changed', (summary) => mirror.jobChanged(summary));
  const offProgress = engine.on('progress', (progress) => mirror.progress(progress));
  const offJourneys = engine.on('journey.changed', (snapshot) => mirror.journeyChanged(snapshot));
  let stopping = false;
  window.on('close', (event) => {
    const warning = mirror.quitWarning();
    if (!warning || stopping) return;
    event.preventDefault();
    const choice = dialog.showMessageBoxSync(window, {
      type: 'warning',
      buttons: ['Keep working', warning.irreversible ? 'Quit anyway' : 'Stop and quit'],
      defaultId: 0,
      cancelId: 0,
      message: warning.message,
      detail: warning.detail,
    });
    if (choice !== 1) return;
    stopping = true;
    log.warn('app.quit-mid-step', { step: warning.message });
    // Closing the engine cancels its jobs and waits for them to wind down.
    void engine.close().finally(() => window.close());
  });
  return () => {
    offJobs();
    offProgress();
    offJourneys();
    mirror.dispose();
  };
}

/** Native open/save dialogs for the screens (app.choosePath), parented to the window in front. */
async function showPathDialog(spec: PathDialogSpec): Promise<string | null> {
  const parent = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
  if (spec.kind === 'save') {
    const options = { title: spec.title, defaultPath: spec.defaultPath, filters: spec.filters };
    const result = parent ? await dialog.showSaveDialog(parent, options) : await dialog.showSaveDialog(options);
    return result.canceled || !result.filePath ? null : result.filePath;
  }
  const options = { title: spec.title, properties: spec.properties, ...(spec.filters ? { filters: spec.filters } : {}) };
  const result = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
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
    const stopLog = await startFileLog({ folder: logFolder(), process: 'app' }).catch(() => null);
    log.info('app.started', { version: app.getVersion(), electron: process.versions.electron, demo: engineOptions.demo ?? false });
    const engine = new EngineSupervisor({
      spawn: () => forkEngineProcess(engineHostPath, engineArguments(engineOptions)),
      log: (line) => {
        console.error(line);
        log.warn('engine.supervisor', { line });
      },
    });
    // Engine restarts, and the jobs a dead engine left interrupted (the engine logs every other job change itself).
    engine.on('engine.status', logEngineStatus);
    engine.on('jobs.changed', (summary) => {
      if (summary.state === 'interrupted') logJobChange(summary);
    });
    // Its progress (and a start that keeps failing) reaches the window as engine.status.
    void engine.start().catch(() => undefined);
    const unregister = registerIpc(withShellCommands(engine, showPathDialog));
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
      log.info('app.quit', {});
      void engine.close().finally(() => stopLog?.());
    });
  });
}
