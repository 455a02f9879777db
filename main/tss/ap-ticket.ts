/** One step: build the AP request, POST it, check the ticket names this phone and nonce (docs/protocols/tss.md). */
import type { BuildIdentity } from '../ipsw/build-manifest';
import { checkTicket } from './ticket-check';
import { requestApTicket, type TssClientOptions } from './tss-client';
import { buildApTicketRequest } from './tss-request';

export type ApTicketPhone = { ecid: bigint; chipId: number; boardId: number };

export function apTicketRequester(
  identity: BuildIdentity,
  phone: ApTicketPhone,
  options: TssClientOptions = {},
): (nonces: { apNonce: Uint8Array; sepNonce?: Uint8Array }) => Promise<Buffer> {
  return async (nonces) => {
    const request = buildApTicketRequest(identity, { ecid: phone.ecid, ...nonces });
    const ticket = await requestApTicket(request, options);
    checkTicket(ticket, { ...phone, ...nonces });
    return ticket;
  };
}
