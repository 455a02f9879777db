/** One step: build the baseband request, POST it, parse and bound the answer (docs/protocols/baseband.md#tss-request). */
import type { BuildIdentity } from '../ipsw/build-manifest';
import { buildBasebandTicketRequest, type BasebandTicketParameters } from './tss-baseband-request';
import { basebandTicketFromAnswer, type BasebandTicket } from './tss-baseband-response';
import { postTssRequest, type TssClientOptions } from './tss-client';

export async function requestBasebandTicket(
  identity: BuildIdentity,
  phone: BasebandTicketParameters,
  options: TssClientOptions = {},
): Promise<BasebandTicket> {
  return basebandTicketFromAnswer(await postTssRequest(buildBasebandTicketRequest(identity, phone), options));
}
