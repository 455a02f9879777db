import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { hardenSession, hardenWebContents, isAllowedExternalUrl, isTrustedSender, secureWebPreferences } from '../../../main/app/security';

describe('window security', () => {
  it('uses exactly the hardened webPreferences', () => {
    expect(secureWebPreferences('/app/out/preload/index.cjs')).toStrictEqual({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      enableWebSQL: false,
    });
  });

  function fakeContents() {
    const emitter = new EventEmitter();
    let openHandler: ((details: { url: string }) => { action: string }) | undefined;
    const contents = {
      on: (event: string, listener: (...args: unknown[]) => void) => emitter.on(event, listener),
      setWindowOpenHandler: (handler: typeof openHandler) => {
        openHandler = handler;
      },
    };
    const fire = (event: string) => {
      const preventDefault = vi.fn();
      emitter.emit(event, { preventDefault }, 'https://evil.example/');
      return preventDefault;
    };
    return { contents, fire, open: (url: string) => openHandler!({ url }) };
  }

  it.each(['will-navigate', 'will-frame-navigate', 'will-redirect', 'will-attach-webview'])('blocks %s', (event) => {
    const fake = fakeContents();
    hardenWebContents(fake.contents as never, vi.fn());
    expect(fake.fire(event)).toHaveBeenCalledOnce();
  });

  it('denies every new window and opens only allow-listed https pages outside', () => {
    const fake = fakeContents();
    const openExternal = vi.fn();
    hardenWebContents(fake.contents as never, openExternal);
    expect(fake.open('https://support.apple.com/en-us/118430')).toEqual({ action: 'deny' });
    expect(fake.open('http://support.apple.com/')).toEqual({ action: 'deny' });
    expect(fake.open('https://support.apple.com.evil.example/')).toEqual({ action: 'deny' });
    expect(fake.open('file:///etc/passwd')).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledTimes(1);
    expect(openExternal).toHaveBeenCalledWith('https://support.apple.com/en-us/118430');
  });

  it('allows external links only for https on Apple hosts without credentials', () => {
    expect(isAllowedExternalUrl('https://iforgot.apple.com/')).toBe(true);
    expect(isAllowedExternalUrl('https://user:pw@iforgot.apple.com/')).toBe(false);
    expect(isAllowedExternalUrl('javascript:alert(1)')).toBe(false);
    expect(isAllowedExternalUrl('not a url')).toBe(false);
  });

  it('denies every permission request and check, device access and downloads', () => {
    const handlers: Record<string, (...args: never[]) => unknown> = {};
    const downloads = new EventEmitter();
    hardenSession({
      setPermissionRequestHandler: (h: never) => (handlers.request = h),
      setPermissionCheckHandler: (h: never) => (handlers.check = h),
      setDevicePermissionHandler: (h: never) => (handlers.device = h),
      on: (event: string, l: never) => downloads.on(event, l),
    } as never);
    const callback = vi.fn();
    (handlers.request as (...a: unknown[]) => void)(null, 'media', callback);
    expect(callback).toHaveBeenCalledWith(false);
    expect((handlers.check as () => boolean)()).toBe(false);
    expect((handlers.device as () => boolean)()).toBe(false);
    const preventDefault = vi.fn();
    downloads.emit('will-download', { preventDefault });
    expect(preventDefault).toHaveBeenCalled();
  });

  it('trusts only the top frame of the app:// page as an IPC sender', () => {
    expect(isTrustedSender({ url: 'app://lifeline/index.html', parent: null })).toBe(true);
    expect(isTrustedSender({ url: 'app://lifeline/index.html', parent: {} as never })).toBe(false);
    expect(isTrustedSender({ url: 'https://evil.example/', parent: null })).toBe(false);
    expect(isTrustedSender({ url: 'app://other/index.html', parent: null })).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
  });
});
