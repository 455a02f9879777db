/**
 * Stitching a signed blob into a Qualcomm modem image (docs/protocols/baseband.md#stitching): the blob replaces the
 * file's last `blob.length` bytes, the signature area. The file keeps its size.
 */
import { BasebandError } from './baseband-error';

export function stitchMbn(file: Uint8Array, blob: Uint8Array, name: string): Buffer {
  if (blob.byteLength === 0) throw new BasebandError(`The signed blob for ${name} is empty`, 'bad-request');
  if (blob.byteLength > file.byteLength) {
    throw new BasebandError(
      `The signed blob for ${name} (${blob.byteLength} bytes) is larger than the file (${file.byteLength} bytes)`,
      'bad-request',
    );
  }
  const out = Buffer.from(file);
  out.set(blob, file.byteLength - blob.byteLength);
  return out;
}
