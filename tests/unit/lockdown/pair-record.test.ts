import { describe, expect, it } from 'vitest';
import { X509Certificate, createPublicKey } from 'node:crypto';
import {
  PairRecordError,
  decodePairRecord,
  encodePairRecord,
  generatePairRecord,
  generateRsaKeyPair,
  pairRequestRecord,
} from '../../../main/lockdown/pair-record';
import { deviceSecureContext, hostTlsOptions } from '../../../main/lockdown/tls-options';
import { createSecureContext } from 'node:tls';

describe('pair record generation', async () => {
  const device = await generateRsaKeyPair();
  const record = await generatePairRecord({
    devicePublicKeyPem: device.publicKeyPem,
    systemBuid: 'BUID-1',
    wifiMacAddress: 'f0:99:bf:00:00:01',
  });
  const root = new X509Certificate(record.RootCertificate);
  const host = new X509Certificate(record.HostCertificate);
  const deviceCert = new X509Certificate(record.DeviceCertificate);

  it('publishes the device key as PKCS#1 PEM', () => {
    expect(device.publicKeyPem).toContain('-----BEGIN RSA PUBLIC KEY-----');
  });

  it('signs host and device certificates with the self-signed root', () => {
    expect(root.verify(root.publicKey)).toBe(true);
    expect(host.verify(root.publicKey)).toBe(true);
    expect(deviceCert.verify(root.publicKey)).toBe(true);
    expect(host.verify(host.publicKey)).toBe(false);
    expect(root.ca).toBe(true);
    expect(host.ca).toBe(false);
    expect(deviceCert.ca).toBe(false);
  });

  it('uses RSA-2048 keys and SHA-256 signatures', () => {
    for (const cert of [root, host, deviceCert]) {
      expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
      expect(cert.toLegacyObject().asn1Curve).toBeUndefined();
    }
    // Node exposes no signature algorithm; check the DER OID sha256WithRSAEncryption (1.2.840.113549.1.1.11).
    const oid = Buffer.from('06092a864886f70d01010b', 'hex');
    for (const cert of [root, host, deviceCert]) expect(cert.raw.includes(oid)).toBe(true);
  });

  it('embeds the device public key in the device certificate', () => {
    expect(deviceCert.publicKey.equals(createPublicKey(device.publicKeyPem))).toBe(true);
  });

  it('carries matching private keys for host and root', () => {
    expect(host.checkPrivateKey(createPrivate(record.HostPrivateKey))).toBe(true);
    expect(root.checkPrivateKey(createPrivate(record.RootPrivateKey))).toBe(true);
  });

  it('uses uppercase UUID HostID, the given SystemBUID and a 32-byte escrow bag', () => {
    expect(record.HostID).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(record.SystemBUID).toBe('BUID-1');
    expect(record.EscrowBag?.length).toBe(32);
  });

  it('round-trips through XML and binary plists', () => {
    for (const format of ['xml', 'binary'] as const) {
      const back = decodePairRecord(encodePairRecord(record, format));
      expect(back.HostID).toBe(record.HostID);
      expect(back.DeviceCertificate.equals(record.DeviceCertificate)).toBe(true);
      expect(back.WiFiMACAddress).toBe('f0:99:bf:00:00:01');
    }
  });

  it('leaves both private keys out of the Pair request copy', () => {
    expect(Object.keys(pairRequestRecord(record)).sort()).toEqual(
      ['DeviceCertificate', 'HostCertificate', 'HostID', 'RootCertificate', 'SystemBUID'].sort(),
    );
  });

  it('rejects records without required keys or with garbage bytes', () => {
    expect(() => decodePairRecord(Buffer.from('not a plist'))).toThrow(PairRecordError);
    const partial = encodePairRecord(record, 'xml').toString().replace('<key>HostID</key>', '<key>Other</key>');
    expect(() => decodePairRecord(Buffer.from(partial))).toThrow(PairRecordError);
  });

  it('loads into Node TLS contexts on both sides (OpenSSL 3 accepts the certificates)', () => {
    expect(() => deviceSecureContext({ certificatePem: record.DeviceCertificate, privateKeyPem: device.privateKeyPem })).not.toThrow();
    const options = hostTlsOptions({ certificatePem: record.HostCertificate, privateKeyPem: record.HostPrivateKey });
    expect(() => createSecureContext(options)).not.toThrow();
  });
});

function createPrivate(pem: Buffer) {
  return createPrivateKeyFromPem(pem);
}

import { createPrivateKey as createPrivateKeyFromPem } from 'node:crypto';
