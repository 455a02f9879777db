import { createHash } from 'node:crypto';
import { Img4Error } from './img4-error';

/**
 * docs/protocols/img4.md#digests: manifest digests are SHA-1 (20 B) on older builds and SHA-384 (48 B) on newer ones;
 * the digest of a component is the hash of the whole IM4P DER as booted (type tag included).
 */
export type Img4HashName = 'sha1' | 'sha384';

export function hashForDigestLength(length: number): Img4HashName {
  if (length === 20) return 'sha1';
  if (length === 48) return 'sha384';
  throw new Img4Error(`a ${length}-byte digest is neither SHA-1 nor SHA-384`);
}

export function im4pDigest(im4pDer: Uint8Array, hash: Img4HashName = 'sha1'): Buffer {
  return createHash(hash).update(im4pDer).digest();
}
