import 'reflect-metadata';
import { createPublicKey, generateKeyPair, randomBytes, randomUUID, webcrypto } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { z } from 'zod';
import { decodePlist, encodeBinaryPlist, encodeXmlPlist } from '../plist/plist-codec';
import type { PlistDict } from '../plist/plist-value';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;

/** A host↔device pairing, as stored by usbmuxd under the device's UDID (docs/protocols/lockdown.md#pair-records). PEM text in the data fields. */
export type PairRecord = {
  HostID: string;
  SystemBUID: string;
  HostCertificate: Buffer;
  HostPrivateKey: Buffer;
  RootCertificate: Buffer;
  RootPrivateKey: Buffer;
  DeviceCertificate: Buffer;
  EscrowBag?: Buffer;
  WiFiMACAddress?: string;
  UDID?: string;
};

const pem = z.instanceof(Uint8Array).transform((v) => Buffer.from(v));

const PairRecordSchema = z.looseObject({
  HostID: z.string().min(1).max(256),
  SystemBUID: z.string().min(1).max(256),
  HostCertificate: pem,
  HostPrivateKey: pem,
  RootCertificate: pem,
  RootPrivateKey: pem,
  DeviceCertificate: pem,
  EscrowBag: pem.optional(),
  WiFiMACAddress: z.string().max(64).optional(),
  UDID: z.string().max(64).optional(),
});

export class PairRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PairRecordError';
  }
}

const MAX_PAIR_RECORD_BYTES = 256 * 1024;

export function pairRecordToPlist(record: PairRecord): PlistDict {
  const dict: PlistDict = {
    DeviceCertificate: record.DeviceCertificate,
    HostCertificate: record.HostCertificate,
    HostID: record.HostID,
    HostPrivateKey: record.HostPrivateKey,
    RootCertificate: record.RootCertificate,
    RootPrivateKey: record.RootPrivateKey,
    SystemBUID: record.SystemBUID,
  };
  if (record.EscrowBag) dict.EscrowBag = record.EscrowBag;
  if (record.WiFiMACAddress !== undefined) dict.WiFiMACAddress = record.WiFiMACAddress;
  if (record.UDID !== undefined) dict.UDID = record.UDID;
  return dict;
}

export function encodePairRecord(record: PairRecord, format: 'xml' | 'binary' = 'xml'): Buffer {
  const dict = pairRecordToPlist(record);
  return format === 'xml' ? encodeXmlPlist(dict) : encodeBinaryPlist(dict);
}

/** Parses an XML or binary pair record; throws PairRecordError when required keys are missing. */
export function decodePairRecord(bytes: Uint8Array): PairRecord {
  let value;
  try {
    value = decodePlist(bytes, { maxBytes: MAX_PAIR_RECORD_BYTES, maxObjects: 1000, maxDepth: 8 });
  } catch (error) {
    throw new PairRecordError(`pair record unreadable: ${(error as Error).message}`);
  }
  return pairRecordFromPlist(value);
}

export function pairRecordFromPlist(value: unknown): PairRecord {
  const parsed = PairRecordSchema.safeParse(value);
  if (!parsed.success) throw new PairRecordError(`invalid pair record: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  const r = parsed.data;
  const record: PairRecord = {
    HostID: r.HostID,
    SystemBUID: r.SystemBUID,
    HostCertificate: r.HostCertificate,
    HostPrivateKey: r.HostPrivateKey,
    RootCertificate: r.RootCertificate,
    RootPrivateKey: r.RootPrivateKey,
    DeviceCertificate: r.DeviceCertificate,
  };
  if (r.EscrowBag) record.EscrowBag = r.EscrowBag;
  if (r.WiFiMACAddress !== undefined) record.WiFiMACAddress = r.WiFiMACAddress;
  if (r.UDID !== undefined) record.UDID = r.UDID;
  return record;
}

/** The copy sent in the lockdown Pair request: no private keys (docs/protocols/lockdown.md#pair-records). */
export function pairRequestRecord(record: PairRecord): PlistDict {
  return {
    DeviceCertificate: record.DeviceCertificate,
    HostCertificate: record.HostCertificate,
    RootCertificate: record.RootCertificate,
    SystemBUID: record.SystemBUID,
    HostID: record.HostID,
  };
}

export type RsaKeyPairPem = {
  /** PKCS#1 `BEGIN RSA PUBLIC KEY`, the form lockdown serves as DevicePublicKey. */
  publicKeyPem: string;
  /** PKCS#8 `BEGIN PRIVATE KEY`. */
  privateKeyPem: string;
};

export function generateRsaKeyPair(): Promise<RsaKeyPairPem> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      {
        modulusLength: 2048,
        publicExponent: 0x10001,
        publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      },
      (error, publicKeyPem, privateKeyPem) => (error ? reject(error) : resolve({ publicKeyPem, privateKeyPem })),
    );
  });
}

const RSA_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

async function importPrivate(pemText: string): Promise<CryptoKey> {
  const der = Buffer.from(pemText.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, RSA_SHA256, true, ['sign']);
}

async function importPublic(key: KeyObject): Promise<CryptoKey> {
  const der = key.export({ type: 'spki', format: 'der' });
  return webcrypto.subtle.importKey('spki', der, RSA_SHA256, true, ['verify']);
}

function tenYearsFrom(now: Date): Date {
  const end = new Date(now);
  end.setUTCFullYear(end.getUTCFullYear() + 10);
  return end;
}

const LEAF_EXTENSIONS = (): x509.Extension[] => [
  new x509.BasicConstraintsExtension(false, undefined, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
];

export type GeneratePairRecordOptions = {
  /** The device's public key (PKCS#1 or SPKI PEM) — the `DevicePublicKey` lockdown value. */
  devicePublicKeyPem: string | Uint8Array;
  hostId?: string;
  systemBuid?: string;
  wifiMacAddress?: string;
  escrowBag?: Uint8Array;
  udid?: string;
};

/**
 * docs/protocols/lockdown.md#certificates: root CA (CA:TRUE), host and device leaf certs signed by the root,
 * RSA-2048, SHA-256, empty DNs, 10-year validity, serial 1 (as pymobiledevice3).
 */
export async function generatePairRecord(options: GeneratePairRecordOptions): Promise<PairRecord> {
  const deviceKey = createPublicKey(
    typeof options.devicePublicKeyPem === 'string' ? options.devicePublicKeyPem : Buffer.from(options.devicePublicKeyPem),
  );
  if (deviceKey.asymmetricKeyType !== 'rsa') throw new PairRecordError('device public key is not RSA');
  const [root, host] = await Promise.all([generateRsaKeyPair(), generateRsaKeyPair()]);
  const rootPrivate = await importPrivate(root.privateKeyPem);
  const rootPublic = await importPublic(createPublicKey(root.publicKeyPem));
  const hostPublic = await importPublic(createPublicKey(host.publicKeyPem));
  const devicePublic = await importPublic(deviceKey);
  const notBefore = new Date();
  const notAfter = tenYearsFrom(notBefore);
  const common = { serialNumber: '01', notBefore, notAfter, signingAlgorithm: RSA_SHA256 };

  const rootCert = await x509.X509CertificateGenerator.createSelfSigned({
    ...common,
    name: '',
    keys: { privateKey: rootPrivate, publicKey: rootPublic },
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const hostCert = await x509.X509CertificateGenerator.create({
    ...common,
    subject: '',
    issuer: '',
    publicKey: hostPublic,
    signingKey: rootPrivate,
    extensions: LEAF_EXTENSIONS(),
  });
  const deviceCert = await x509.X509CertificateGenerator.create({
    ...common,
    subject: '',
    issuer: '',
    publicKey: devicePublic,
    signingKey: rootPrivate,
    extensions: [...LEAF_EXTENSIONS(), await x509.SubjectKeyIdentifierExtension.create(devicePublic)],
  });

  const record: PairRecord = {
    HostID: options.hostId ?? randomUUID().toUpperCase(),
    SystemBUID: options.systemBuid ?? randomUUID().toUpperCase(),
    HostCertificate: Buffer.from(hostCert.toString('pem') + '\n'),
    HostPrivateKey: Buffer.from(host.privateKeyPem),
    RootCertificate: Buffer.from(rootCert.toString('pem') + '\n'),
    RootPrivateKey: Buffer.from(root.privateKeyPem),
    DeviceCertificate: Buffer.from(deviceCert.toString('pem') + '\n'),
    EscrowBag: Buffer.from(options.escrowBag ?? randomBytes(32)),
  };
  if (options.wifiMacAddress !== undefined) record.WiFiMACAddress = options.wifiMacAddress;
  if (options.udid !== undefined) record.UDID = options.udid;
  return record;
}
