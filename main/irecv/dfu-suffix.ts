/**
 * The 16-byte DFU suffix libirecovery appends to every DFU-mode upload (docs/protocols/irecv.md#dfu-upload): bcdDevice FFFF,
 * idProduct FFFF, idVendor 05AC, bcdDFU 0100, "UFD", bLength 0x10, then a little-endian CRC-32 (reflected,
 * poly 0xEDB88320, initial 0xFFFFFFFF, no final XOR) over payload ‖ those 12 bytes — i.e. ~zlib.crc32.
 */
import { crc32 } from 'node:zlib';

export const DFU_SUFFIX_FIXED: Readonly<Buffer> = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xac, 0x05, 0x00, 0x01, 0x55, 0x46, 0x44, 0x10]);
export const DFU_SUFFIX_SIZE = 16;

/** The suffix for `payload`; crc32 runs natively over the whole image (no per-byte JS work). */
export function dfuSuffixFor(payload: Uint8Array): Buffer {
  const suffix = Buffer.alloc(DFU_SUFFIX_SIZE);
  DFU_SUFFIX_FIXED.copy(suffix);
  const crc = ~crc32(DFU_SUFFIX_FIXED, crc32(payload)) >>> 0;
  suffix.writeUInt32LE(crc, 12);
  return suffix;
}
