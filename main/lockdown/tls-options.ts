import { createSecureContext, TLSSocket } from 'node:tls';
import type { ConnectionOptions, SecureContext } from 'node:tls';
import type { Duplex } from 'node:stream';

// docs/protocols/lockdown.md#tls-versions, docs/protocols/lockdown.md#tls-on-node-and-openssl-3: SECLEVEL 0 lets OpenSSL 3 load SHA-1 certs made by libimobiledevice 1.3.0 and
// negotiate TLS 1.0 for iOS < 10 emulation; both sides accept TLS 1.0 … 1.3.
export const LOCKDOWN_TLS_CIPHERS = 'DEFAULT:@SECLEVEL=0';
export const LOCKDOWN_TLS_MIN_VERSION = 'TLSv1' as const;

export type TlsIdentity = { certificatePem: string | Uint8Array; privateKeyPem: string | Uint8Array };

function pemText(value: string | Uint8Array): string {
  return typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
}

/** Device (server) side: the DeviceCertificate + device private key. */
export function deviceSecureContext(identity: TlsIdentity): SecureContext {
  return createSecureContext({
    cert: pemText(identity.certificatePem),
    key: pemText(identity.privateKeyPem),
    ciphers: LOCKDOWN_TLS_CIPHERS,
    minVersion: LOCKDOWN_TLS_MIN_VERSION,
  });
}

/**
 * Wraps an already-open plaintext stream as the TLS server (device side, docs/protocols/lockdown.md#tls-on-node-and-openssl-3 item 3).
 * `pending` = bytes already read off the stream that belong to the TLS handshake.
 * We request the client's certificate but accept any: hosts present either the root or the host cert (docs/protocols/lockdown.md#tls-roles).
 */
export function upgradeToDeviceTls(stream: Duplex, context: SecureContext, pending?: Buffer): TLSSocket {
  if (pending && pending.length > 0) stream.unshift(pending);
  return new TLSSocket(stream, {
    isServer: true,
    requestCert: true,
    rejectUnauthorized: false,
    secureContext: context,
  });
}

/**
 * Host (client) side options for `tls.connect({ socket, ...hostTlsOptions(...) })`. No `host`/servername, so no SNI.
 * No chain verification (the pair record's root signs nothing a CA store knows); after the handshake the caller pins
 * the peer to the pair record's DeviceCertificate with `isPairedPhone` (phone-pin.ts).
 */
export function hostTlsOptions(identity: TlsIdentity, options: { legacyTls?: boolean } = {}): ConnectionOptions {
  return {
    cert: pemText(identity.certificatePem),
    key: pemText(identity.privateKeyPem),
    rejectUnauthorized: false,
    ciphers: LOCKDOWN_TLS_CIPHERS,
    minVersion: LOCKDOWN_TLS_MIN_VERSION,
    // docs/protocols/lockdown.md#tls-versions: libimobiledevice caps at TLS 1.0 for devices below iOS 10.
    ...(options.legacyTls ? { maxVersion: 'TLSv1' as const } : {}),
  };
}
