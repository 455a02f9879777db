/** Electron entry: thin on purpose — it composes the engine and adapts it to the desktop. */
import path from 'node:path';
import { app, session, shell } from 'electron';
import { createAppEngine } from '../rescue/create-engine';
import { registerAppScheme, serveRenderer } from './app-protocol';
import { registerIpc } from './ipc';
import { createMainWindow } from './main-window';
import { hardenSession, hardenWebContents, isAllowedExternalUrl } from './security';

const outDir = path.resolve(import.meta.dirname, '..');
const demo = process.argv.includes('--demo');

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
    const engine = await createAppEngine({ demo });
    const unregister = registerIpc(engine);
    let window = createMainWindow(path.join(outDir, 'preload', 'index.cjs'));

    app.on('second-instance', () => {
      if (window.isMinimized()) window.restore();
      window.focus();
    });
    app.on('activate', () => {
      if (window.isDestroyed()) window = createMainWindow(path.join(outDir, 'preload', 'index.cjs'));
    });
    app.on('window-all-closed', () => app.quit());
    app.on('will-quit', () => {
      unregister();
      void engine.close();
    });
  });
}
