/**
 * The virtual phone's modem check of a BasebandData answer (docs/protocols/baseband.md#what-the-virtual-phone-checks):
 * when the phone sent a baseband nonce, the archive holds `bbticket.der` signed with the practice key for this modem
 * and bound to that nonce (without a nonce a ticket is optional, but checked when present); every practice modem image
 * with a signature area carries a valid blob for its own bytes; nothing but modem images and the ticket was sent.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { BbfwArchive } from '../../baseband/bbfw-archive';
import { BB_TICKET_FILE, elementsForFile, isFirmwareFile } from '../../baseband/bbfw-files';
import { BasebandError } from '../../baseband/baseband-error';
import { parseIm4m, propertyBytes, propertyInteger } from '../../img4/im4m';
import { ticketSignatureValid } from '../../img4/ticket-signature';
import { practiceBlobValid, practicePartialDigest, practiceSignatureArea, type PracticeModem } from './practice-baseband-signature';
import type { BasebandCheck } from './restore-session';
import { RestoreStatus } from './restore-status';
import { SYNTHETIC_BBFW_SIGNED } from './synthetic-bbfw';

export type BasebandCheckExpectation = PracticeModem & {
  /** The nonce this phone put in its BasebandData request; null when it sent none. */
  bbNonce: Uint8Array | null;
  publicKey: KeyObject;
  /** Files that must arrive signed (the bbfw's signed elements). */
  signedFiles: readonly string[];
};

export type BasebandCheckResult = { accepted: true; signedFiles: string[] } | { accepted: false; reason: string };

const MAX_FILE_BYTES = 64 * 1024 * 1024;

export async function checkBasebandData(zip: Buffer, expected: BasebandCheckExpectation): Promise<BasebandCheckResult> {
  let archive: BbfwArchive;
  try {
    archive = await BbfwArchive.open({ bytes: zip });
  } catch (error) {
    return { accepted: false, reason: error instanceof Error ? error.message : String(error) };
  }
  try {
    return await check(archive, expected);
  } catch (error) {
    if (error instanceof BasebandError) return { accepted: false, reason: error.message };
    throw error;
  } finally {
    archive.close();
  }
}

async function check(archive: BbfwArchive, expected: BasebandCheckExpectation): Promise<BasebandCheckResult> {
  const refuse = (reason: string): BasebandCheckResult => ({ accepted: false, reason });
  if (archive.has(BB_TICKET_FILE)) {
    const problem = ticketProblem(await archive.read(BB_TICKET_FILE, 64 * 1024), expected);
    if (problem !== null) return refuse(problem);
  } else if (expected.bbNonce !== null) return refuse(`no ${BB_TICKET_FILE}`);
  const signed: string[] = [];
  for (const entry of archive.entries()) {
    if (entry.name === BB_TICKET_FILE) continue;
    if (!isFirmwareFile(entry.name)) return refuse(`${entry.name} should have been left out`);
    const file = await archive.read(entry.name, MAX_FILE_BYTES);
    const area = practiceSignatureArea(file);
    if (!area) continue;
    const blob = file.subarray(area.start);
    const digest = practicePartialDigest(file);
    const elements = elementsForFile(entry.name, expected.bbChipId);
    if (!elements.some((element) => practiceBlobValid(expected.publicKey, blob, element, digest, expected)))
      return refuse(`${entry.name} is not signed for this modem`);
    signed.push(entry.name);
  }
  const missing = expected.signedFiles.filter((name) => !signed.includes(name));
  if (missing.length > 0) return refuse(`unsigned or missing: ${missing.join(', ')}`);
  return { accepted: true, signedFiles: signed };
}

function ticketProblem(ticket: Buffer, expected: BasebandCheckExpectation): string | null {
  if (!ticketSignatureValid(ticket, expected.publicKey)) return 'the BBTicket is not signed by the trusted key';
  const manifest = parseIm4m(ticket).manifest;
  if (propertyInteger(manifest, 'ECID') !== expected.ecid) return 'the BBTicket is for another phone (ECID)';
  if (propertyInteger(manifest, 'CHIP') !== BigInt(expected.bbChipId)) return 'the BBTicket is for another modem chip';
  if (propertyInteger(manifest, 'CTID') !== BigInt(expected.bbGoldCertId)) return 'the BBTicket is for another gold certificate';
  const snum = propertyBytes(manifest, 'SNUM');
  if (!snum || !Buffer.from(snum).equals(Buffer.from(expected.bbSnum))) return 'the BBTicket is for another modem (SNUM)';
  const nonce = propertyBytes(manifest, 'BNCH');
  if (expected.bbNonce && (!nonce || !Buffer.from(nonce).equals(Buffer.from(expected.bbNonce))))
    return 'the BBTicket is not bound to the baseband nonce this phone sent';
  return null;
}

/**
 * The modem check as the virtual phone's restore runs it (in place of the zip-only default): the phone's own modem
 * values, the key it trusts, the synthetic bbfw's signed files; a refusal ends the restore with the baseband status.
 */
export function practiceModemCheck(
  ecid: bigint,
  modem: { chipId: number; certId: number; chipSerial: Uint8Array },
  publicKey: KeyObject,
): BasebandCheck {
  return async (request, firmware) => {
    const verdict = await checkBasebandData(Buffer.from(firmware.buffer, firmware.byteOffset, firmware.byteLength), {
      ecid,
      bbChipId: modem.chipId,
      bbGoldCertId: modem.certId,
      bbSnum: modem.chipSerial,
      bbNonce: request.nonce,
      publicKey,
      signedFiles: Object.values(SYNTHETIC_BBFW_SIGNED),
    });
    if (!verdict.accepted) return { ok: false, status: RestoreStatus.Baseband, reason: verdict.reason };
    return { ok: true, digests: await fileDigests(firmware) };
  };
}

/** SHA-256 of every file the host sent in the archive, by name: the restore record shows what each host put in it. */
async function fileDigests(zip: Uint8Array): Promise<Record<string, string>> {
  const archive = await BbfwArchive.open({ bytes: Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength) });
  try {
    const digests: Record<string, string> = {};
    for (const entry of archive.entries())
      digests[entry.name] = createHash('sha256')
        .update(await archive.read(entry.name, MAX_FILE_BYTES))
        .digest('hex');
    return digests;
  } finally {
    archive.close();
  }
}
