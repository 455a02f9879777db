/**
 * The signing server's answer (docs/protocols/tss.md#transport): `STATUS=<n>&MESSAGE=<text>&REQUEST_STRING=<XML plist>`;
 * success iff STATUS=0 / MESSAGE=SUCCESS. The plist starts at `<?xml`.
 */
import { BYTE_CAPS } from '../net/network-policy';
import { decodePlist } from '../plist/plist-codec';
import { isPlistDict, type PlistDict } from '../plist/plist-value';
import { TssError } from './tss-error';

export const MAX_TSS_RESPONSE_BYTES = BYTE_CAPS.tssReply;

export type TssAnswer = { status: number | null; message: string; plist: PlistDict | null };

export function parseTssAnswer(body: string): TssAnswer {
  if (body.length > MAX_TSS_RESPONSE_BYTES) throw new TssError('The signing server’s answer is too large', 'bad-response');
  const statusMatch = /^STATUS=(\d{1,5})/.exec(body);
  const messageStart = body.indexOf('MESSAGE=');
  const xmlStart = body.indexOf('<?xml');
  const messageEnd = body.indexOf('&', messageStart);
  const message = messageStart === -1 ? '' : body.slice(messageStart + 8, messageEnd === -1 ? undefined : messageEnd).slice(0, 500);
  let plist: PlistDict | null = null;
  if (xmlStart !== -1) {
    try {
      const value = decodePlist(Buffer.from(body.slice(xmlStart), 'utf8'), { maxBytes: MAX_TSS_RESPONSE_BYTES });
      plist = isPlistDict(value) ? value : null;
    } catch {
      throw new TssError('The signing server’s answer holds an unreadable plist', 'bad-response');
    }
  }
  return { status: statusMatch ? Number(statusMatch[1]) : null, message, plist };
}

/** STATUS → a typed error in plain words (docs/protocols/tss.md#transport table). */
export function statusError(status: number, message: string): TssError {
  switch (status) {
    case 69:
    case 94:
      return new TssError(
        `Apple’s signing server refused this firmware for this phone (status ${status}: ${message || 'not eligible'}). ` +
          'Either Apple no longer signs this iOS version for this model, or the request was malformed.',
        'not-signed',
        status,
      );
    case 100:
    case 126:
      return new TssError(`The signing server could not read the request (status ${status}: ${message}).`, 'malformed-request', status);
    default:
      return new TssError(`The signing server answered with an error (status ${status}: ${message}).`, 'server-error', status);
  }
}

/** The ApImg4Ticket (DER IM4M) of a successful answer (docs/protocols/tss.md#ap-request response). */
export function ticketFromAnswer(answer: TssAnswer): Buffer {
  if (answer.status !== 0) throw statusError(answer.status ?? -1, answer.message);
  const ticket = answer.plist?.ApImg4Ticket;
  if (!(ticket instanceof Uint8Array) || ticket.byteLength === 0)
    throw new TssError('The signing server’s answer has no ApImg4Ticket', 'bad-response');
  return Buffer.from(ticket);
}
