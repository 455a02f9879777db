/** What the phone remembers about a host that paired with it (docs/protocols/lockdown.md#certificates, device side). */
export type PairedHost = {
  hostId: string;
  systemBuid: string;
  hostCertificate: Buffer;
  rootCertificate: Buffer;
  deviceCertificate: Buffer;
  escrowBag: Buffer;
};

export type TrustDialogAnswer = 'accept' | 'deny' | 'pending';
