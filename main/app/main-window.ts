import { BrowserWindow, nativeTheme } from 'electron';
import { APP_ENTRY_URL } from '../../common/ipc-channels';
import { secureWebPreferences } from './security';

export function createMainWindow(preloadPath: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 1040,
    height: 760,
    minWidth: 720,
    minHeight: 560,
    title: 'Lifeline',
    show: false,
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#15171b' : '#f6f7f9',
    webPreferences: secureWebPreferences(preloadPath),
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(APP_ENTRY_URL);
  return window;
}
