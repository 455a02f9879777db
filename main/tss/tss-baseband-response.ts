/**
 * The signing server's baseband answer (docs/protocols/baseband.md#tss-response): `BBTicket` (data) and
 * `BasebandFirmware` with one `<Element>-Blob` (data) per signed file. Sizes and names are bounded before use.
 */
import { isPlistDict } from '../plist/plist-value';
import { TssError } from './tss-error';
import { statusError, type TssAnswer } from './tss-response';

export const MAX_BB_TICKET_BYTES = 64 * 1024;
export const MAX_BB_BLOB_BYTES = 256 * 1024;
export const MAX_BB_BLOBS = 16;

export type BasebandTicket = {
  bbTicket: Buffer;
  /** Element name (`SBL1`, `RestoreSBL1`, …) → the signed blob to stitch into that element's file. */
  blobs: Map<string, Buffer>;
};

const ELEMENT = /^([A-Za-z][A-Za-z0-9]{0,31})-Blob$/;

export function basebandTicketFromAnswer(answer: TssAnswer): BasebandTicket {
  if (answer.status !== 0) throw statusError(answer.status ?? -1, answer.message);
  const bad = (why: string): TssError => new TssError(`The signing server’s baseband answer ${why}`, 'bad-response');
  const plist = answer.plist;
  const ticket = plist?.BBTicket;
  if (!(ticket instanceof Uint8Array) || ticket.byteLength === 0) throw bad('has no BBTicket');
  if (ticket.byteLength > MAX_BB_TICKET_BYTES) throw bad(`has a BBTicket of ${ticket.byteLength} bytes (at most ${MAX_BB_TICKET_BYTES})`);
  const firmware = plist?.BasebandFirmware;
  if (!isPlistDict(firmware)) throw bad('has no BasebandFirmware dictionary');
  const blobs = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(firmware)) {
    if (!key.endsWith('-Blob')) continue;
    const element = ELEMENT.exec(key)?.[1];
    if (!element) throw bad(`names an unusable element (${JSON.stringify(key.slice(0, 40))})`);
    if (!(value instanceof Uint8Array) || value.byteLength === 0) throw bad(`has an empty or non-data ${element}-Blob`);
    if (value.byteLength > MAX_BB_BLOB_BYTES)
      throw bad(`has a ${element}-Blob of ${value.byteLength} bytes (at most ${MAX_BB_BLOB_BYTES})`);
    if (blobs.size >= MAX_BB_BLOBS) throw bad(`has more than ${MAX_BB_BLOBS} signed elements`);
    blobs.set(element, Buffer.from(value));
  }
  return { bbTicket: Buffer.from(ticket), blobs };
}
