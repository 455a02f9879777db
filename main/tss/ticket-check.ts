/**
 * docs/protocols/tss.md#response-and-ticket-checks: BNCH equals the ApNonce sent, ECID / CHIP /
 * BORD match the phone, snon equals the SepNonce.
 */
import { Img4Error } from '../img4/img4-error';
import { parseIm4m, propertyBytes, propertyInteger } from '../img4/im4m';
import { TssError } from './tss-error';

export type TicketExpectation = { ecid: bigint; chipId: number; boardId: number; apNonce: Uint8Array; sepNonce?: Uint8Array };

export function checkTicket(ticket: Uint8Array, expected: TicketExpectation): void {
  let parsed;
  try {
    parsed = parseIm4m(ticket);
  } catch (error) {
    throw new TssError(
      `The ticket from the signing server is unreadable (${error instanceof Img4Error ? error.message : 'bad DER'})`,
      'bad-response',
    );
  }
  const m = parsed.manifest;
  const mismatch = (what: string): TssError => new TssError(`The ticket from the signing server is for another ${what}`, 'ticket-mismatch');
  if (propertyInteger(m, 'ECID') !== expected.ecid) throw mismatch('phone (ECID)');
  if (propertyInteger(m, 'CHIP') !== BigInt(expected.chipId)) throw mismatch('chip');
  if (propertyInteger(m, 'BORD') !== BigInt(expected.boardId)) throw mismatch('board');
  const bnch = propertyBytes(m, 'BNCH');
  if (!bnch || !Buffer.from(bnch).equals(Buffer.from(expected.apNonce))) throw mismatch('boot nonce (BNCH)');
  const snon = propertyBytes(m, 'snon');
  if (expected.sepNonce && snon && !Buffer.from(snon).equals(Buffer.from(expected.sepNonce))) throw mismatch('SEP nonce');
}
