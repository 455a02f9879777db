/**
 * Win32Api on Windows through koffi (FFI, prebuilt per platform; no addon of our own). Imported lazily and only on win32.
 * Struct buffers are Node memory passed in place; overlapped requests keep theirs referenced until they complete.
 */
import { Win32Error, type Win32Api, type Win32Handle } from './win32-api';

/** The parts of koffi this binding uses. */
export type KoffiModule = {
  load(path: string): { func(declaration: string): KoffiFunction };
  pointer(name: string, type: unknown): unknown;
  opaque(): unknown;
  address(value: unknown): bigint | null;
};
export type KoffiFunction = ((...args: unknown[]) => unknown) & {
  async(...args: unknown[]): void;
};

/** Every declaration the binding makes, so tests can check each one parses as a koffi prototype. */
export const KERNEL32_DECLARATIONS = {
  CreateFileW:
    'HANDLE __stdcall CreateFileW(const char16_t *lpFileName, uint32_t dwDesiredAccess, uint32_t dwShareMode, void *lpSecurityAttributes, uint32_t dwCreationDisposition, uint32_t dwFlagsAndAttributes, HANDLE hTemplateFile)',
  DeviceIoControl:
    'int __stdcall DeviceIoControl(HANDLE hDevice, uint32_t dwIoControlCode, void *lpInBuffer, uint32_t nInBufferSize, void *lpOutBuffer, uint32_t nOutBufferSize, void *lpBytesReturned, void *lpOverlapped)',
  GetOverlappedResult: 'int __stdcall GetOverlappedResult(HANDLE hFile, void *lpOverlapped, void *lpNumberOfBytesTransferred, int bWait)',
  CancelIoEx: 'int __stdcall CancelIoEx(HANDLE hFile, void *lpOverlapped)',
  CreateEventW: 'HANDLE __stdcall CreateEventW(void *lpEventAttributes, int bManualReset, int bInitialState, const char16_t *lpName)',
  WaitForSingleObject: 'uint32_t __stdcall WaitForSingleObject(HANDLE hHandle, uint32_t dwMilliseconds)',
  CloseHandle: 'int __stdcall CloseHandle(HANDLE hObject)',
  GetLastError: 'uint32_t __stdcall GetLastError()',
} as const;

export const SETUPAPI_DECLARATIONS = {
  SetupDiGetClassDevsW:
    'HANDLE __stdcall SetupDiGetClassDevsW(const void *ClassGuid, const char16_t *Enumerator, void *hwndParent, uint32_t Flags)',
  SetupDiEnumDeviceInterfaces:
    'int __stdcall SetupDiEnumDeviceInterfaces(HANDLE DeviceInfoSet, void *DeviceInfoData, const void *InterfaceClassGuid, uint32_t MemberIndex, void *DeviceInterfaceData)',
  SetupDiGetDeviceInterfaceDetailW:
    'int __stdcall SetupDiGetDeviceInterfaceDetailW(HANDLE DeviceInfoSet, void *DeviceInterfaceData, void *DeviceInterfaceDetailData, uint32_t DeviceInterfaceDetailDataSize, void *RequiredSize, void *DeviceInfoData)',
  SetupDiEnumDeviceInfo: 'int __stdcall SetupDiEnumDeviceInfo(HANDLE DeviceInfoSet, uint32_t MemberIndex, void *DeviceInfoData)',
  SetupDiGetDeviceRegistryPropertyW:
    'int __stdcall SetupDiGetDeviceRegistryPropertyW(HANDLE DeviceInfoSet, void *DeviceInfoData, uint32_t Property, void *PropertyRegDataType, void *PropertyBuffer, uint32_t PropertyBufferSize, void *RequiredSize)',
  SetupDiDestroyDeviceInfoList: 'int __stdcall SetupDiDestroyDeviceInfoList(HANDLE DeviceInfoSet)',
} as const;

/** sizeof(OVERLAPPED) on 64-bit Windows, and the offset of hEvent in it. */
const OVERLAPPED_SIZE = 32;
const OVERLAPPED_EVENT_OFFSET = 24;
const WAIT_OBJECT_0 = 0;
const INVALID_HANDLE_ADDRESS = 0xffff_ffff_ffff_ffffn;

type Functions<T> = { [K in keyof T]: KoffiFunction };

function bind<T extends Record<string, string>>(lib: { func(declaration: string): KoffiFunction }, declarations: T): Functions<T> {
  const out: Partial<Functions<T>> = {};
  for (const name of Object.keys(declarations) as (keyof T)[]) out[name] = lib.func(declarations[name]!);
  return out as Functions<T>;
}

/** Builds the binding over a koffi module (the real one on Windows). */
export function createKoffiWin32Api(koffi: KoffiModule): Win32Api {
  koffi.pointer('HANDLE', koffi.opaque());
  const k32 = bind(koffi.load('kernel32.dll'), KERNEL32_DECLARATIONS);
  const setupapi = bind(koffi.load('setupapi.dll'), SETUPAPI_DECLARATIONS);
  let lastError = 0;
  const failed = (): false => {
    lastError = Number(k32.GetLastError());
    return false;
  };
  const truthy = (value: unknown): boolean => (value ? true : failed());
  const handleOrNull = (value: unknown): Win32Handle | null => {
    const address = value === null || value === undefined ? null : koffi.address(value);
    if (address === null || address === 0n || address === INVALID_HANDLE_ADDRESS) {
      failed();
      return null;
    }
    return value as Win32Handle;
  };
  const waitAsync = (event: unknown, timeoutMs: number): Promise<number> =>
    new Promise((resolve, reject) => {
      k32.WaitForSingleObject.async(event, timeoutMs, (error: unknown, result: unknown) =>
        error ? reject(error as Error) : resolve(Number(result)),
      );
    });

  return {
    setupDiGetClassDevs: (classGuid, enumerator, flags) => handleOrNull(setupapi.SetupDiGetClassDevsW(classGuid, enumerator, null, flags)),
    setupDiEnumDeviceInterfaces: (set, classGuid, memberIndex, interfaceData) =>
      truthy(setupapi.SetupDiEnumDeviceInterfaces(set, null, classGuid, memberIndex, interfaceData)),
    setupDiGetDeviceInterfaceDetail: (set, interfaceData, detail, detailSize, requiredSize, deviceInfo) =>
      truthy(setupapi.SetupDiGetDeviceInterfaceDetailW(set, interfaceData, detail, detailSize, requiredSize, deviceInfo)),
    setupDiEnumDeviceInfo: (set, memberIndex, deviceInfo) => truthy(setupapi.SetupDiEnumDeviceInfo(set, memberIndex, deviceInfo)),
    setupDiGetDeviceRegistryProperty: (set, deviceInfo, property, buffer, bufferSize, requiredSize) =>
      truthy(setupapi.SetupDiGetDeviceRegistryPropertyW(set, deviceInfo, property, null, buffer, bufferSize, requiredSize)),
    setupDiDestroyDeviceInfoList: (set) => truthy(setupapi.SetupDiDestroyDeviceInfoList(set)),
    createFile: (path, access, shareMode, creationDisposition, flags) =>
      handleOrNull(k32.CreateFileW(path, access, shareMode, null, creationDisposition, flags, null)),
    async deviceIoControl(handle, code, input, inputSize, output, outputSize, bytesReturned, timeoutMs) {
      const event = k32.CreateEventW(null, 1, 0, null);
      if (handleOrNull(event) === null) return lastError;
      const overlapped = Buffer.alloc(OVERLAPPED_SIZE);
      overlapped.writeBigUInt64LE(koffi.address(event) ?? 0n, OVERLAPPED_EVENT_OFFSET);
      const transferred = new Uint32Array(1);
      try {
        if (!k32.DeviceIoControl(handle, code, input, inputSize, output, outputSize, null, overlapped)) {
          const error = Number(k32.GetLastError());
          if (error !== Win32Error.IoPending) return error;
        }
        const waited = await waitAsync(event, timeoutMs);
        // A request still pending at the timeout is cancelled; waiting for it then ends in ERROR_OPERATION_ABORTED.
        if (waited !== WAIT_OBJECT_0) k32.CancelIoEx(handle, overlapped);
        if (!k32.GetOverlappedResult(handle, overlapped, transferred, 1)) return Number(k32.GetLastError());
        bytesReturned[0] = transferred[0]!;
        return Win32Error.Success;
      } finally {
        k32.CloseHandle(event);
      }
    },
    closeHandle: (handle) => truthy(k32.CloseHandle(handle)),
    getLastError: () => lastError,
  };
}

let loaded: Win32Api | null = null;

/** The real binding; throws off Windows or when koffi's prebuilt binary is missing. */
export async function loadKoffiWin32Api(platform: NodeJS.Platform = process.platform): Promise<Win32Api> {
  if (platform !== 'win32') throw new Error('Apple’s Windows driver is reachable on Windows only');
  if (loaded) return loaded;
  const imported = (await import('koffi')) as unknown as { default?: KoffiModule } & KoffiModule;
  loaded = createKoffiWin32Api(imported.default ?? imported);
  return loaded;
}
