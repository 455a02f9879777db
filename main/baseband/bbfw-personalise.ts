/**
 * The bbfw as restored wants it (docs/protocols/baseband.md#personalising-the-bbfw): every signed element's file
 * stitched with its blob, every file that is neither signed nor a modem image dropped, the BBTicket added as
 * `bbticket.der`. Unchanged files are copied still compressed; only one signed file is decompressed at a time.
 */
import type { BbfwArchive } from './bbfw-archive';
import { BB_TICKET_FILE, MAV25_BB_CHIP_ID, fileForElement, isFirmwareFile } from './bbfw-files';
import { BasebandError } from './baseband-error';
import { stitchMbn } from './mbn-stitch';
import { ZipBuilder } from './zip-builder';

export type BbfwSignature = { bbTicket: Uint8Array; blobs: ReadonlyMap<string, Uint8Array> };

export type BbfwLimits = {
  /** Largest signed file decompressed for stitching. */
  maxSignedFileBytes: number;
  /** Largest archive produced. */
  maxOutputBytes: number;
};

export const DEFAULT_BBFW_LIMITS: BbfwLimits = { maxSignedFileBytes: 64 * 1024 * 1024, maxOutputBytes: 256 * 1024 * 1024 };

/** File name → the blob to stitch into it, checked against the archive before anything is written. */
function signedFiles(archive: BbfwArchive, signature: BbfwSignature, bbChipId: number): Map<string, { element: string; blob: Uint8Array }> {
  if (bbChipId === MAV25_BB_CHIP_ID) {
    throw new BasebandError(
      'This modem (BbChipID 0x1F30E1) needs a stitching method Lifeline does not implement yet',
      'unsupported-format',
    );
  }
  const files = new Map<string, { element: string; blob: Uint8Array }>();
  for (const [element, blob] of signature.blobs) {
    const file = fileForElement(element, bbChipId);
    if (!file) throw new BasebandError(`The signing server signed an element Lifeline cannot place (${element})`, 'unknown-element');
    if (file.endsWith('.fls'))
      throw new BasebandError(
        `This modem's firmware (${file}) needs the Intel .fls stitching Lifeline does not implement yet`,
        'unsupported-format',
      );
    if (!archive.has(file))
      throw new BasebandError(`The baseband firmware has no ${file} for the signed element ${element}`, 'missing-file');
    files.set(file, { element, blob });
  }
  return files;
}

export async function personaliseBbfw(
  archive: BbfwArchive,
  signature: BbfwSignature,
  bbChipId: number,
  limits: BbfwLimits = DEFAULT_BBFW_LIMITS,
): Promise<Buffer> {
  if (signature.bbTicket.byteLength === 0) throw new BasebandError('The BBTicket is empty', 'bad-request');
  const signed = signedFiles(archive, signature, bbChipId);
  const out = new ZipBuilder(limits.maxOutputBytes);
  for (const entry of archive.entries()) {
    if (entry.name === BB_TICKET_FILE) continue;
    const target = signed.get(entry.name);
    if (target) {
      const file = await archive.read(entry.name, limits.maxSignedFileBytes);
      out.addFile(entry.name, stitchMbn(file, target.blob, entry.name));
    } else if (isFirmwareFile(entry.name)) {
      const raw = await archive.readRaw(entry.name, limits.maxOutputBytes);
      out.addRaw({ ...entry, method: entry.method === 8 ? 8 : 0, chunks: [raw] });
    }
  }
  out.addFile(BB_TICKET_FILE, signature.bbTicket);
  return out.finish();
}
