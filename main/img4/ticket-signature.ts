/**
 * Signing and checking an IM4M's signature over its MANB SET. Apple's server keys are not ours: Lifeline only
 * verifies tickets from its own practice signing server (a test key generated at start), which is how the
 * virtual phone plays SecureROM's signature check (docs/protocols/boot-chain.md#simulator-boot-chain "optionally verify … with a test key").
 */
import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { buildIm4m, buildIm4mBody, parseIm4m, type Img4Properties } from './im4m';

export type TicketSigningKey = { privateKey: KeyObject; publicKey: KeyObject };

export function generateTicketSigningKey(): TicketSigningKey {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

export function signTicket(key: TicketSigningKey, manifest: Img4Properties, images: Map<string, Img4Properties>): Buffer {
  const body = buildIm4mBody(manifest, images);
  const signature = sign('sha256', body, key.privateKey);
  return buildIm4m({ body, signature });
}

/** True when the ticket's signature is valid under `publicKey`; false for any malformed ticket. */
export function ticketSignatureValid(im4m: Uint8Array, publicKey: KeyObject | string): boolean {
  try {
    const ticket = parseIm4m(im4m);
    const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
    return verify('sha256', ticket.signedBytes, key, ticket.signature);
  } catch {
    return false;
  }
}
