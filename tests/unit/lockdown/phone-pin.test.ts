import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { generatePairRecord, generateRsaKeyPair } from '../../../main/lockdown/pair-record';
import type { PairRecord, RsaKeyPairPem } from '../../../main/lockdown/pair-record';
import { peerHoldsDeviceKey } from '../../../main/lockdown/phone-pin';

let phoneKey: RsaKeyPairPem;
let record: PairRecord;

beforeAll(async () => {
  phoneKey = await generateRsaKeyPair();
  record = await generatePairRecord({ devicePublicKeyPem: phoneKey.publicKeyPem });
}, 30_000);

describe('peerHoldsDeviceKey', () => {
  it('accepts the pair record’s own DeviceCertificate, as PEM or DER', () => {
    const presented = new X509Certificate(record.DeviceCertificate);
    expect(peerHoldsDeviceKey(presented, record.DeviceCertificate)).toBe(true);
    expect(peerHoldsDeviceKey(presented, presented.raw)).toBe(true);
  });

  it('accepts another certificate over the same phone key (a re-issued certificate)', async () => {
    const reissued = await generatePairRecord({ devicePublicKeyPem: phoneKey.publicKeyPem });
    expect(reissued.DeviceCertificate.equals(record.DeviceCertificate)).toBe(false);
    expect(peerHoldsDeviceKey(new X509Certificate(reissued.DeviceCertificate), record.DeviceCertificate)).toBe(true);
  });

  it('refuses a certificate over another key, including the host’s and root’s from the same record', async () => {
    const other = await generatePairRecord({ devicePublicKeyPem: (await generateRsaKeyPair()).publicKeyPem });
    expect(peerHoldsDeviceKey(new X509Certificate(other.DeviceCertificate), record.DeviceCertificate)).toBe(false);
    expect(peerHoldsDeviceKey(new X509Certificate(record.HostCertificate), record.DeviceCertificate)).toBe(false);
    expect(peerHoldsDeviceKey(new X509Certificate(record.RootCertificate), record.DeviceCertificate)).toBe(false);
  });

  it('refuses when the phone presented nothing or the pair record’s certificate is unreadable', () => {
    const presented = new X509Certificate(record.DeviceCertificate);
    expect(peerHoldsDeviceKey(undefined, record.DeviceCertificate)).toBe(false);
    expect(peerHoldsDeviceKey(presented, Buffer.from('not a certificate'))).toBe(false);
    expect(peerHoldsDeviceKey(presented, Buffer.alloc(0))).toBe(false);
  });
});
