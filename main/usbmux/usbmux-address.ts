import type { NetConnectOpts } from 'node:net';

/** Where a usbmuxd daemon listens: a UNIX socket path, or a TCP host and port. */
export type UsbmuxAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export type ResolvedUsbmuxAddress = UsbmuxAddress & {
  /** 'environment' when USBMUXD_SOCKET_ADDRESS was honoured, 'explicit' when a caller chose it, else 'default'. */
  source: 'environment' | 'explicit' | 'default';
};

// docs/protocols/usbmux.md#where-the-daemon-listens
export const USBMUXD_UNIX_PATH = '/var/run/usbmuxd';
export const USBMUXD_WINDOWS_HOST = '127.0.0.1';
export const USBMUXD_WINDOWS_PORT = 27015;
export const USBMUXD_ADDRESS_ENV = 'USBMUXD_SOCKET_ADDRESS';

function isWindowsLike(platform: NodeJS.Platform): boolean {
  return platform === 'win32' || platform === 'cygwin';
}

/** The daemon's built-in address per OS: TCP 127.0.0.1:27015 on Windows, /var/run/usbmuxd elsewhere. */
export function defaultUsbmuxAddress(platform: NodeJS.Platform = process.platform): UsbmuxAddress {
  return isWindowsLike(platform)
    ? { kind: 'tcp', host: USBMUXD_WINDOWS_HOST, port: USBMUXD_WINDOWS_PORT }
    : { kind: 'unix', path: USBMUXD_UNIX_PATH };
}

// strtol() as libusbmuxd calls it: optional leading white space and sign, digits, nothing after.
const STRTOL_DECIMAL = /^[ \t\n\v\f\r]*[+-]?\d+$/;

/**
 * Parses USBMUXD_SOCKET_ADDRESS exactly as libusbmuxd 2.0.2 does (docs/protocols/usbmux.md#the-socket-address-variable), or returns null when
 * libusbmuxd would ignore the value and fall back to the default:
 * - `UNIX:/path` — uppercase prefix only, non-empty path, not on Windows;
 * - otherwise split at the LAST colon; the port must be a decimal 1–65535; a leading `[` and the last `]`
 *   of the host are stripped (`[::1]:27015`); an empty host is ignored.
 */
export function parseUsbmuxSocketAddress(value: string, platform: NodeJS.Platform = process.platform): UsbmuxAddress | null {
  if (value.startsWith('UNIX:')) {
    if (isWindowsLike(platform)) return null;
    const path = value.slice(5);
    return path.length > 0 ? { kind: 'unix', path } : null;
  }
  const colon = value.lastIndexOf(':');
  if (colon < 0) return null;
  const portText = value.slice(colon + 1);
  if (!STRTOL_DECIMAL.test(portText)) return null;
  const port = Number.parseInt(portText.trim(), 10);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
  let host = value.slice(0, colon);
  if (host.startsWith('[')) {
    host = host.slice(1);
    const close = host.lastIndexOf(']');
    if (close >= 0) host = host.slice(0, close);
  }
  if (host.length === 0) return null;
  return { kind: 'tcp', host, port };
}

/** The address a client should use: the environment override when libusbmuxd would honour it, else the OS default. */
export function resolveUsbmuxAddress(
  options: { platform?: NodeJS.Platform; env?: Readonly<Record<string, string | undefined>> } = {},
): ResolvedUsbmuxAddress {
  const platform = options.platform ?? process.platform;
  const value = (options.env ?? process.env)[USBMUXD_ADDRESS_ENV];
  const parsed = value === undefined ? null : parseUsbmuxSocketAddress(value, platform);
  if (parsed) return { ...parsed, source: 'environment' };
  return { ...defaultUsbmuxAddress(platform), source: 'default' };
}

/** `UNIX:/path` or `host:port` (`[v6]:port`): the USBMUXD_SOCKET_ADDRESS spelling of an address. */
export function formatUsbmuxAddress(address: UsbmuxAddress): string {
  if (address.kind === 'unix') return `UNIX:${address.path}`;
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

export function usbmuxConnectOptions(address: UsbmuxAddress): NetConnectOpts {
  return address.kind === 'unix' ? { path: address.path } : { host: address.host, port: address.port };
}

/**
 * What to tell a person when the daemon cannot be reached, per OS (docs/protocols/usbmux.md#when-the-daemon-cannot-be-reached: "Unable to retrieve device list").
 * `reason` is the socket error code (ENOENT, ECONNREFUSED, EACCES, …) when known.
 */
export function daemonMissingAdvice(platform: NodeJS.Platform, address: ResolvedUsbmuxAddress | UsbmuxAddress, reason?: string): string {
  if ('source' in address && address.source === 'environment') {
    return `Nothing answers at ${USBMUXD_ADDRESS_ENV}=${formatUsbmuxAddress(address)}. Start the usbmuxd you pointed it at, or unset ${USBMUXD_ADDRESS_ENV}.`;
  }
  if ('source' in address && address.source === 'explicit') {
    return `Nothing answers at ${formatUsbmuxAddress(address)}. Start the usbmuxd that should listen there.`;
  }
  if (isWindowsLike(platform)) {
    return 'Apple Mobile Device Service is not running — install Apple Devices from the Microsoft Store or iTunes, then plug the iPhone in again.';
  }
  if (platform === 'darwin') {
    return 'usbmuxd is built into macOS but is not answering — restart the Mac.';
  }
  if (reason === 'EACCES' || reason === 'EPERM') {
    return `This user may not open ${USBMUXD_UNIX_PATH}. Reinstall usbmuxd (it creates the socket for everyone), or restart it with \`sudo systemctl restart usbmuxd\`.`;
  }
  return "usbmuxd is not running. Install it (`sudo apt install usbmuxd` or your distribution's package) and start it with `sudo systemctl start usbmuxd`, or plug the iPhone in so udev starts it.";
}
