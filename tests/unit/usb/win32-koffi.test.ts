import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  KERNEL32_DECLARATIONS,
  SETUPAPI_DECLARATIONS,
  createKoffiWin32Api,
  loadKoffiWin32Api,
  type KoffiFunction,
  type KoffiModule,
} from '../../../main/usb/win32-koffi';
import { Win32Error } from '../../../main/usb/win32-api';

const realKoffi = createRequire(import.meta.url)('koffi') as KoffiModule & {
  proto(declaration: string): unknown;
  pointer(name: string, type: unknown): unknown;
};

type Script = Record<string, (...args: unknown[]) => unknown>;

/** koffi with the real type parser but scripted Win32 functions (no kernel32 on this machine). */
function scriptedKoffi(script: Script, loaded: string[]): KoffiModule {
  return {
    pointer: (name, type) => {
      try {
        return realKoffi.pointer(name, type);
      } catch {
        return null; // already declared by an earlier test
      }
    },
    opaque: () => (realKoffi as unknown as { opaque(): unknown }).opaque(),
    address: (value) => (typeof value === 'bigint' ? value : value === null ? null : BigInt(value as number)),
    load: (path) => {
      loaded.push(path);
      return {
        func: (declaration) => {
          const name = /\b([A-Za-z0-9]+)\(/.exec(declaration)![1]!;
          const impl = script[name] ?? (() => 0);
          const fn = ((...args: unknown[]) => impl(...args)) as KoffiFunction;
          fn.async = (...args: unknown[]) => {
            const callback = args.pop() as (error: unknown, result: unknown) => void;
            setImmediate(() => callback(null, impl(...args)));
          };
          return fn;
        },
      };
    },
  };
}

describe('koffi Win32 binding', () => {
  it('declares every function as a prototype koffi accepts', () => {
    realKoffi.pointer('HANDLE', (realKoffi as unknown as { opaque(): unknown }).opaque());
    for (const declaration of [...Object.values(KERNEL32_DECLARATIONS), ...Object.values(SETUPAPI_DECLARATIONS)]) {
      expect(() => realKoffi.proto(declaration), declaration).not.toThrow();
    }
  });

  it('loads kernel32 and setupapi only, and turns INVALID_HANDLE_VALUE into null with GetLastError kept', () => {
    const loaded: string[] = [];
    const api = createKoffiWin32Api(
      scriptedKoffi(
        { SetupDiGetClassDevsW: () => 0xffff_ffff_ffff_ffffn, CreateFileW: () => 0x40n, GetLastError: () => Win32Error.FileNotFound },
        loaded,
      ),
    );
    expect(loaded).toEqual(['kernel32.dll', 'setupapi.dll']);
    expect(api.setupDiGetClassDevs(null, 'USB', 6)).toBeNull();
    expect(api.getLastError()).toBe(Win32Error.FileNotFound);
    expect(api.createFile('\\\\?\\usb#x', 0, 0, 3, 0)).toBe(0x40n);
  });

  it('waits for an overlapped request that went pending and reports what GetOverlappedResult counted', async () => {
    const calls: string[] = [];
    let lastError = 0;
    const api = createKoffiWin32Api(
      scriptedKoffi(
        {
          CreateEventW: () => 0x99n,
          DeviceIoControl: () => {
            calls.push('DeviceIoControl');
            lastError = Win32Error.IoPending;
            return 0;
          },
          GetLastError: () => lastError,
          WaitForSingleObject: () => (calls.push('Wait'), 0),
          GetOverlappedResult: (_h: unknown, overlapped: unknown, transferred: unknown) => {
            calls.push('GetOverlappedResult');
            expect((overlapped as Buffer).readBigUInt64LE(24)).toBe(0x99n);
            (transferred as Uint32Array)[0] = 9;
            return 1;
          },
          CloseHandle: () => (calls.push('CloseHandle'), 1),
        },
        [],
      ),
    );
    const bytes = new Uint32Array(1);
    expect(await api.deviceIoControl(0x40n, 0x2200a0, new Uint8Array(9), 9, new Uint8Array(9), 9, bytes, 10_000)).toBe(Win32Error.Success);
    expect(bytes[0]).toBe(9);
    expect(calls).toEqual(['DeviceIoControl', 'Wait', 'GetOverlappedResult', 'CloseHandle']);
  });

  it('cancels a request still pending at the timeout and reports ERROR_OPERATION_ABORTED', async () => {
    const calls: string[] = [];
    let lastError = 0;
    const api = createKoffiWin32Api(
      scriptedKoffi(
        {
          CreateEventW: () => 0x99n,
          DeviceIoControl: () => ((lastError = Win32Error.IoPending), 0),
          GetLastError: () => lastError,
          WaitForSingleObject: () => 0x102,
          CancelIoEx: () => (calls.push('CancelIoEx'), 1),
          GetOverlappedResult: () => ((lastError = Win32Error.OperationAborted), 0),
          CloseHandle: () => (calls.push('CloseHandle'), 1),
        },
        [],
      ),
    );
    expect(await api.deviceIoControl(0x40n, 0x22000c, null, 0, null, 0, new Uint32Array(1), 5)).toBe(Win32Error.OperationAborted);
    expect(calls).toEqual(['CancelIoEx', 'CloseHandle']);
  });

  it('returns an immediate failure code without waiting', async () => {
    let lastError = 0;
    const api = createKoffiWin32Api(
      scriptedKoffi(
        {
          CreateEventW: () => 0x99n,
          DeviceIoControl: () => ((lastError = Win32Error.DeviceNotConnected), 0),
          GetLastError: () => lastError,
          WaitForSingleObject: () => {
            throw new Error('must not wait');
          },
        },
        [],
      ),
    );
    expect(await api.deviceIoControl(0x40n, 0x2201b6, new Uint8Array(4), 4, new Uint8Array(4), 4, new Uint32Array(1), 5)).toBe(
      Win32Error.DeviceNotConnected,
    );
  });

  it('refuses to load off Windows', async () => {
    await expect(loadKoffiWin32Api('linux')).rejects.toThrow(/Windows only/);
  });
});
