/**
 * Answers restored's BasebandData requests (docs/protocols/baseband.md#the-phones-request): the modem values the phone
 * sends go into a baseband TSS request, the answer's BBTicket and blobs personalise the IPSW's .bbfw, and the bytes to
 * send come back. The .bbfw is copied out of the IPSW once, to a private temporary file, never into memory; one
 * signature is kept per baseband nonce because the phone asks two or three times.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BbfwArchive } from '../baseband/bbfw-archive';
import { BasebandError } from '../baseband/baseband-error';
import { DEFAULT_BBFW_LIMITS, personaliseBbfw, type BbfwLimits } from '../baseband/bbfw-personalise';
import type { IpswArchive } from '../ipsw/ipsw-reader';
import type { BuildIdentity } from '../ipsw/build-manifest';
import { isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';
import { requestBasebandTicket } from '../tss/baseband-ticket';
import { identityBbChipId, identityHasBaseband, type BasebandTicketParameters } from '../tss/tss-baseband-request';
import type { BasebandTicket } from '../tss/tss-baseband-response';
import type { TssClientOptions } from '../tss/tss-client';

export const MAX_BBFW_BYTES = 512 * 1024 * 1024;
const MAX_MODEM_VALUE_BYTES = 64;

/** What the phone's BasebandData request says about its modem (Arguments: ChipID, CertID, ChipSerialNo, Nonce). */
export type ModemReport = { bbChipId: number; bbGoldCertId: number; bbSnum: Buffer; bbNonce: Buffer | null };

export type BasebandUpdaterOptions = {
  archive: IpswArchive;
  identity: BuildIdentity;
  ecid: bigint;
  tss?: TssClientOptions;
  /** Where the private copy of the .bbfw goes (default: the system's temporary folder). */
  tempDir?: string;
  limits?: BbfwLimits;
};

export type BasebandUpdater = {
  /** The phone's BasebandData Arguments → the personalised .bbfw bytes to answer `{BasebandData: …}` with. */
  basebandData(requestArguments: PlistDict, signal?: AbortSignal): Promise<Buffer>;
  /** Removes the temporary copy. */
  close(): Promise<void>;
};

function uintArgument(value: PlistValue | undefined, name: string): number {
  const number = typeof value === 'bigint' && value >= 0n && value <= 0xffffffffn ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 0 || number > 0xffffffff) {
    throw new BasebandError(`The phone's baseband request has no usable ${name}`, 'bad-request');
  }
  return number;
}

function dataArgument(value: PlistValue | undefined, name: string): Buffer | null {
  if (value === undefined) return null;
  if (!(value instanceof Uint8Array) || value.byteLength === 0 || value.byteLength > MAX_MODEM_VALUE_BYTES) {
    throw new BasebandError(`The phone's baseband request has an unusable ${name}`, 'bad-request');
  }
  return Buffer.from(value);
}

/** docs/protocols/baseband.md#the-phones-request, bounded. */
export function parseModemReport(requestArguments: PlistDict): ModemReport {
  if (!isPlistDict(requestArguments)) throw new BasebandError('The phone sent no baseband request arguments', 'bad-request');
  const bbSnum = dataArgument(requestArguments.ChipSerialNo, 'ChipSerialNo');
  if (!bbSnum) throw new BasebandError("The phone's baseband request has no ChipSerialNo", 'bad-request');
  return {
    bbChipId: uintArgument(requestArguments.ChipID, 'ChipID'),
    bbGoldCertId: uintArgument(requestArguments.CertID, 'CertID'),
    bbSnum,
    bbNonce: dataArgument(requestArguments.Nonce, 'Nonce'),
  };
}

async function extractBbfw(archive: IpswArchive, entry: string, target: string): Promise<void> {
  const info = archive.entry(entry);
  if (!info) throw new BasebandError(`The firmware file has no ${entry}`, 'missing-file');
  if (info.size > MAX_BBFW_BYTES) throw new BasebandError(`${entry} is ${info.size} bytes, more than ${MAX_BBFW_BYTES}`, 'too-large');
  let seen = 0;
  const bounded = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      done(seen > MAX_BBFW_BYTES ? new BasebandError(`${entry} is larger than it claims`, 'too-large') : null, chunk);
    },
  });
  await pipeline(await archive.openStream(entry), bounded, createWriteStream(target, { mode: 0o600 }));
}

/** null when the build identity has no modem firmware (iPod touch, Wi-Fi-only iPads): nothing to do. */
export function basebandUpdaterFor(options: BasebandUpdaterOptions): BasebandUpdater | null {
  const { identity } = options;
  if (!identityHasBaseband(identity)) return null;
  const component = identity.components.find((c) => c.name === 'BasebandFirmware');
  if (!component?.path) throw new BasebandError('The firmware’s baseband component names no file', 'missing-file');
  const bbfwPath = component.path;
  const tickets = new Map<string, Promise<BasebandTicket>>();
  let folder: Promise<string> | null = null;
  let extracted: Promise<string> | null = null;

  const copyOut = (): Promise<string> => {
    folder ??= mkdtemp(path.join(options.tempDir ?? tmpdir(), 'lifeline-bbfw-'));
    extracted ??= folder.then(async (dir) => {
      const target = path.join(dir, 'baseband.bbfw');
      await extractBbfw(options.archive, bbfwPath, target);
      return target;
    });
    extracted.catch(() => (extracted = null));
    return extracted;
  };

  return {
    async basebandData(requestArguments, signal) {
      const modem = parseModemReport(requestArguments);
      const expectedChip = identityBbChipId(identity);
      if (expectedChip !== null && expectedChip !== modem.bbChipId) {
        throw new BasebandError(
          `The phone's modem (BbChipID 0x${modem.bbChipId.toString(16)}) is not the one this firmware is for (0x${expectedChip.toString(16)})`,
          'bad-request',
        );
      }
      const key = modem.bbNonce?.toString('hex') ?? '';
      let ticket = tickets.get(key);
      if (!ticket) {
        const parameters: BasebandTicketParameters = {
          ecid: options.ecid,
          bbChipId: modem.bbChipId,
          bbGoldCertId: modem.bbGoldCertId,
          bbSnum: modem.bbSnum,
        };
        if (modem.bbNonce) parameters.bbNonce = modem.bbNonce;
        ticket = requestBasebandTicket(identity, parameters, { ...options.tss, ...(signal ? { signal } : {}) });
        tickets.set(key, ticket);
        ticket.catch(() => tickets.delete(key));
      }
      const [signature, file] = await Promise.all([ticket, copyOut()]);
      const archive = await BbfwArchive.open({ path: file });
      try {
        return await personaliseBbfw(archive, signature, modem.bbChipId, options.limits ?? DEFAULT_BBFW_LIMITS);
      } finally {
        archive.close();
      }
    },
    async close() {
      const dir = await folder?.catch(() => null);
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
