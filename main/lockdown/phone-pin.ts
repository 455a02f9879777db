import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';

/**
 * The pinned phone: the TLS peer must hold the key of the pair record's `DeviceCertificate`.
 * Phones present that certificate (docs/protocols/lockdown.md#tls-roles); the key is what is compared, so a phone that presents
 * another certificate over its own key still passes, while anything without the paired phone's private key
 * cannot finish the handshake with that key. Certificate chains and validity are not checked: the pair record is
 * the only authority, and real records carry SHA-1 signatures and ten-year validity that prove nothing.
 */
export function peerHoldsDeviceKey(peer: X509Certificate | undefined, deviceCertificate: Uint8Array): boolean {
  if (!peer) return false;
  const spki = (certificate: X509Certificate): Buffer => certificate.publicKey.export({ type: 'spki', format: 'der' });
  try {
    return spki(peer).equals(spki(new X509Certificate(Buffer.from(deviceCertificate))));
  } catch {
    return false;
  }
}

/** Whether the phone at the other end of an established TLS connection is the one in the pair record. */
export function isPairedPhone(socket: TLSSocket, deviceCertificate: Uint8Array): boolean {
  return peerHoldsDeviceKey(socket.getPeerX509Certificate(), deviceCertificate);
}
