/**
 * The FDR channel's wire (docs/protocols/fdr.md#wire), shared by the host agent and the virtual phone: 10-byte
 * NUL-terminated greetings, 2-byte little-endian commands, and plists framed by a 4-byte **little-endian** length
 * (unlike every other plist service) holding a binary plist.
 */
import { decodePlist, encodeBinaryPlist } from '../plist/plist-codec';
import { isPlistDict, type PlistDict } from '../plist/plist-value';
import type { ByteReader, ReadOptions } from '../wire/byte-reader';

export const FDR_CONTROL_PORT = 1082;
export const FDR_BEGIN_CTRL = Buffer.from('BeginCtrl\0', 'latin1');
export const FDR_HELLO_CONN = Buffer.from('HelloConn\0', 'latin1');
export const FDR_CTRL_PROTOCOL_VERSION = 2;

export const FdrCommand = { Sync: 0x0001, Proxy: 0x0105, Plist: 0xbbaa } as const;
/** docs/protocols/fdr.md#proxy: the host acknowledges a proxy command with this u16 before echoing the request. */
export const FDR_PROXY_ACK = 5;
export const MAX_FDR_PLIST_BYTES = 64 * 1024;
/** docs/protocols/fdr.md#proxy: at most this much proxy-command data is read at once. */
export const MAX_FDR_PROXY_REQUEST_BYTES = 1024 * 1024;

export class FdrProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FdrProtocolError';
  }
}

export function encodeFdrPlist(value: PlistDict): Buffer {
  const body = encodeBinaryPlist(value);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length, 0);
  return Buffer.concat([length, body]);
}

export async function readFdrPlist(reader: ByteReader, options: ReadOptions = {}): Promise<PlistDict> {
  const length = (await reader.read(4, options)).readUInt32LE(0);
  if (length === 0 || length > MAX_FDR_PLIST_BYTES)
    throw new FdrProtocolError(`FDR plist of ${length} bytes (at most ${MAX_FDR_PLIST_BYTES})`);
  const body = await reader.read(length, options);
  let value;
  try {
    value = decodePlist(body, { maxBytes: MAX_FDR_PLIST_BYTES });
  } catch (error) {
    throw new FdrProtocolError(`unreadable FDR plist (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isPlistDict(value)) throw new FdrProtocolError('the FDR plist is not a dictionary');
  return value;
}

export function encodeFdrCommand(command: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16LE(command, 0);
  return out;
}

export type FdrProxyTarget = { host: string; port: number };

/** docs/protocols/fdr.md#proxy: `00 03 <host length> <host> <port, u16 big-endian>`; null for anything else. */
export function parseProxyConnect(request: Uint8Array): FdrProxyTarget | null {
  if (request.byteLength < 6 || request[0] !== 0 || request[1] !== 3) return null;
  const hostLength = request[2]!;
  if (hostLength === 0 || request.byteLength !== 3 + hostLength + 2) return null;
  let host = Buffer.from(request.subarray(3, 3 + hostLength)).toString('latin1');
  if (host.endsWith('\0')) host = host.slice(0, -1);
  if (!/^[A-Za-z0-9.-]{1,253}$/.test(host) && !/^\[?[0-9A-Fa-f:.]{2,45}\]?$/.test(host)) return null;
  const port = Buffer.from(request.subarray(request.byteLength - 2)).readUInt16BE(0);
  if (port === 0) return null;
  return { host: host.replace(/^\[|\]$/g, ''), port };
}

export function encodeProxyConnect(target: FdrProxyTarget): Buffer {
  const host = Buffer.from(target.host, 'latin1');
  if (host.length === 0 || host.length > 255) throw new RangeError('host name length');
  const port = Buffer.alloc(2);
  port.writeUInt16BE(target.port, 0);
  return Buffer.concat([Buffer.from([0, 3, host.length]), host, port]);
}
