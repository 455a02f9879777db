/**
 * How an image is cut into USB requests (docs/protocols/irecv.md#dfu-upload, docs/protocols/irecv.md#recovery-upload). Pure: the unit tests check the plan, the
 * client walks it with subarray views (no copies except the one block that carries the suffix).
 */
import { DFU_SUFFIX_SIZE } from './dfu-suffix';
import { DFU_PACKET_SIZE, RECOVERY_CHUNK_SIZE, RECOVERY_MAX_PACKET } from './irecv-wire';

export type DfuRequest =
  /** DNLOAD with wValue = value carrying payload[start, end), with the suffix appended when `suffix` is true. */
  | { kind: 'data'; value: number; start: number; end: number; suffix: boolean }
  /** The suffix alone, with the same wValue as the last data block (it did not fit). */
  | { kind: 'suffix'; value: number }
  /** Zero-length DNLOAD that tells the ROM the upload is complete; wValue = number of data blocks. */
  | { kind: 'finish'; value: number };

export function dfuUploadPlan(length: number, packetSize = DFU_PACKET_SIZE): DfuRequest[] {
  if (!Number.isSafeInteger(length) || length <= 0) throw new RangeError('an upload needs at least one byte');
  const blocks = Math.ceil(length / packetSize);
  const plan: DfuRequest[] = [];
  for (let i = 0; i < blocks; i++) {
    const start = i * packetSize;
    const end = Math.min(length, start + packetSize);
    const last = i === blocks - 1;
    const fits = end - start + DFU_SUFFIX_SIZE <= packetSize;
    plan.push({ kind: 'data', value: i, start, end, suffix: last && fits });
    if (last && !fits) plan.push({ kind: 'suffix', value: i });
  }
  plan.push({ kind: 'finish', value: blocks });
  return plan;
}

export type RecoveryUploadPlan = { chunks: { start: number; end: number }[]; zeroLengthPacket: boolean };

export function recoveryUploadPlan(length: number, chunkSize = RECOVERY_CHUNK_SIZE): RecoveryUploadPlan {
  if (!Number.isSafeInteger(length) || length <= 0) throw new RangeError('an upload needs at least one byte');
  const chunks: { start: number; end: number }[] = [];
  for (let start = 0; start < length; start += chunkSize) chunks.push({ start, end: Math.min(length, start + chunkSize) });
  return { chunks, zeroLengthPacket: length % RECOVERY_MAX_PACKET === 0 };
}
