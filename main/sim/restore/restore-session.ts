/**
 * The restore ramdisk after StartRestore (docs/protocols/restored.md#the-virtual-phones-restore): it plays its script —
 * data requests, ProgressMsg, CheckpointMsg — checks every answer, records what the host did, and ends with the
 * StatusMsg a real phone sends (0, or the failure's code with a Log).
 */
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { ZodType } from 'zod';
import type { BuildIdentity } from '../../ipsw/build-manifest';
import type { Im4m } from '../../img4/im4m';
import type { PlistChannel } from '../../plist/framing';
import { isPlistDict, type PlistDict, type PlistValue } from '../../plist/plist-value';
import {
  ASR_DEFAULT_DATA_PORT,
  BasebandDataReplySchema,
  BuildIdentityDictReplySchema,
  DeviceTreeReplySchema,
  FILE_DATA_CHUNK_BYTES,
  FileDataChunkSchema,
  HostMsgType,
  KernelCacheReplySchema,
  MAX_HOST_MESSAGE_BYTES,
  NorDataReplySchema,
  ReceiptManifestReplySchema,
  RestoredDataType,
  RestoredMsgType,
  RootTicketReplySchema,
} from '../../restored/restored-wire';
import type { RestoreFaults } from '../faults';
import { runAsrDevice } from './asr-device';
import { checkCoprocessorAnswer } from './coprocessor-check';
import {
  checkBuildIdentityDict,
  checkImageAnswer,
  checkNorData,
  checkPersonalisedImage,
  checkReceiptManifest,
  checkRootTicket,
  type AnswerVerdict,
  type PhoneExpectation,
} from './restore-answer-checks';
import type { RestoreFirmware } from './restore-firmware';
import type { DataRequestRecord, RestoreOutcome, RestoreRecord } from './restore-record';
import type { RestoreScript, ScriptStep } from './restore-scripts';
import { RestoreStatus } from './restore-status';

/** The baseband check (docs/protocols/restored.md#the-virtual-phones-restore): the stitched firmware and its ticket against the modem's nonce. */
export type BasebandCheck = (
  request: { arguments: PlistDict; nonce: Uint8Array | null },
  firmware: Uint8Array,
) => AnswerVerdict | Promise<AnswerVerdict>;

/** Until the baseband helper plugs in its ticket check: the answer must at least be a zip. */
export const zipOnlyBasebandCheck: BasebandCheck = (_request, firmware) =>
  firmware.byteLength >= 4 && Buffer.from(firmware.subarray(0, 4)).equals(Buffer.from('PK\x03\x04', 'latin1'))
    ? { ok: true, digests: {} }
    : { ok: false, status: RestoreStatus.Baseband, reason: 'BasebandData is not a firmware zip' };

export type RestoreSessionContext = {
  channel: PlistChannel;
  record: RestoreRecord;
  script: RestoreScript;
  firmware: RestoreFirmware;
  identity: BuildIdentity;
  phone: PhoneExpectation;
  bootTicket: Im4m | null;
  faults: RestoreFaults;
  basebandCheck: BasebandCheck;
  /** How long the phone waits for an answer or a data-port connection. */
  answerTimeoutMs: number;
  /** Resolves with the phone's end of the host's next connection to `port` (registered before the request is sent). */
  listen(port: number, timeoutMs: number): Promise<Duplex>;
  /** Resolves true once the host serves the FDR channel (always true for phones without factory data to recover). */
  fdrServed(): Promise<boolean>;
  /** The cable is pulled (fault `unplugAt`). */
  unplug(): void;
  /** False once the cable is out. */
  connected(): boolean;
  /** The erase has begun wiping the data partition (partition map created). */
  onWipeStarted(): void;
};

export type SessionEnd = { outcome: RestoreOutcome; status: number | null };

class SessionStop extends Error {
  constructor(
    readonly outcome: RestoreOutcome,
    readonly status: number | null,
    message: string,
  ) {
    super(message);
  }
}

const FINAL_ACK_TIMEOUT_MS = 10_000;
const HOST_CLOSE_GRACE_MS = 5_000;

function payloadBytes(value: PlistValue, depth = 0): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (depth > 8) return 0;
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + payloadBytes(item, depth + 1), 0);
  if (isPlistDict(value)) return Object.values(value).reduce<number>((sum, item) => sum + payloadBytes(item, depth + 1), 0);
  return 0;
}

export class RestoreSession {
  readonly #c: RestoreSessionContext;
  #progressChain: Promise<void> = Promise.resolve();

  constructor(context: RestoreSessionContext) {
    this.#c = context;
  }

  async run(): Promise<SessionEnd> {
    const { record, faults } = this.#c;
    try {
      for (const step of this.#c.script.steps) await this.#step(step);
      if (faults.status && (faults.status.at === undefined || faults.status.at === 'end')) {
        throw new SessionStop('failed', faults.status.code, faults.status.log ?? `restore failed with status ${faults.status.code}`);
      }
      await this.#sendStatus(RestoreStatus.Success, 'restore finished');
      if (faults.unplugAt === 'final-reboot') this.#c.unplug();
      record.finalStatusAcknowledged = await this.#finalAcknowledged();
      return this.#finish('finished', RestoreStatus.Success);
    } catch (error) {
      return this.#fail(error);
    }
  }

  async #step(step: ScriptStep): Promise<void> {
    switch (step.kind) {
      case 'checkpoint':
        await this.#send({
          MsgType: RestoredMsgType.CheckpointMsg,
          CHECKPOINT_ID: step.id,
          CHECKPOINT_NAME: step.name,
          CHECKPOINT_RESULT: 0,
          CHECKPOINT_COMPLETE: true,
        });
        return;
      case 'progress':
        if (step.operation === 11 && this.#c.record.behavior === 'Erase') this.#c.onWipeStarted();
        await this.#send({ MsgType: RestoredMsgType.ProgressMsg, Operation: step.operation, Progress: step.progress ?? -1 });
        return;
      case 'stage':
        // The ASR and final-reboot pulls happen mid-stream and after the final status.
        if (this.#c.faults.unplugAt === step.stage && (step.stage === 'ramdisk' || step.stage === 'baseband')) this.#c.unplug();
        return;
      case 'baseband-status':
        await this.#send({ MsgType: RestoredMsgType.BBUpdateStatusMsg, Accepted: true, Output: { done: true } });
        return;
      case 'data':
        await this.#dataRequest(step);
        return;
    }
  }

  async #dataRequest(step: Extract<ScriptStep, { kind: 'data' }>): Promise<void> {
    const { faults } = this.#c;
    if (faults.crashAt === step.dataType) {
      await this.#send({
        MsgType: RestoredMsgType.RestoredCrash,
        RestoredBacktrace: [`restored: crashed while handling ${step.dataType}`, '0x0 restored_main'],
      });
      throw new SessionStop('crashed', null, `restored crashed at ${step.dataType}`);
    }
    if (faults.status && faults.status.at === step.dataType) {
      throw new SessionStop(
        'failed',
        faults.status.code,
        faults.status.log ?? `restore failed with status ${faults.status.code} at ${step.dataType}`,
      );
    }
    // docs/protocols/fdr.md#without-it: the factory data is recovered before trust data is asked for.
    if (step.dataType === RestoredDataType.FDRTrustData && !(await this.#c.fdrServed())) {
      throw new SessionStop('failed', RestoreStatus.Fdr, 'failed to recover FDR data: the host never served the FDR channel');
    }
    const entry: DataRequestRecord = {
      dataType: step.dataType,
      arguments: step.arguments ? { ...step.arguments } : null,
      dataPort: step.dataPort ?? null,
      answered: false,
      answerKeys: [],
      bytes: 0,
      digests: {},
      rejected: null,
    };
    this.#c.record.dataRequests.push(entry);
    const request: PlistDict = { MsgType: RestoredMsgType.DataRequestMsg, DataType: step.dataType };
    if (step.dataPort !== undefined) request.DataPort = step.dataPort;
    if (step.arguments) request.Arguments = step.arguments;

    if (step.dataType === RestoredDataType.SystemImageData) {
      await this.#systemImage(request, step.dataPort ?? ASR_DEFAULT_DATA_PORT, entry);
      return;
    }
    await this.#send(request);
    const verdict =
      step.dataType === RestoredDataType.PersonalizedBootObjectV3
        ? await this.#streamedBootObject(step, entry)
        : await this.#answer(step, entry);
    this.#judge(entry, verdict);
  }

  #judge(entry: DataRequestRecord, verdict: AnswerVerdict): void {
    if (verdict.ok) {
      Object.assign(entry.digests, verdict.digests);
      return;
    }
    entry.rejected = verdict.reason;
    throw new SessionStop('failed', verdict.status, `${entry.dataType}: ${verdict.reason}`);
  }

  async #receiveAnswer(entry: DataRequestRecord): Promise<PlistDict> {
    const answer = await this.#c.channel.receive({ timeoutMs: this.#c.answerTimeoutMs, maxBytes: MAX_HOST_MESSAGE_BYTES });
    entry.answered = true;
    entry.bytes += payloadBytes(answer);
    if (!isPlistDict(answer)) throw new SessionStop('failed', RestoreStatus.Fail, `${entry.dataType}: the answer is not a dictionary`);
    entry.answerKeys.push(...Object.keys(answer).slice(0, 64));
    return answer;
  }

  async #answer(step: Extract<ScriptStep, { kind: 'data' }>, entry: DataRequestRecord): Promise<AnswerVerdict> {
    const { identity, phone } = this.#c;
    const answer = await this.#receiveAnswer(entry);
    const shaped = (schema: ZodType): AnswerVerdict | null =>
      schema.safeParse(answer).success
        ? null
        : { ok: false, status: RestoreStatus.Fail, reason: `the answer to ${step.dataType} is not shaped like one` };
    switch (step.dataType) {
      case RestoredDataType.RootTicket:
        return shaped(RootTicketReplySchema) ?? checkRootTicket(answer.RootTicketData, phone, this.#c.bootTicket);
      case RestoredDataType.KernelCache:
        return shaped(KernelCacheReplySchema) ?? checkImageAnswer(answer, 'KernelCacheFile', 'KernelCache', identity, phone);
      case RestoredDataType.DeviceTree:
        return shaped(DeviceTreeReplySchema) ?? checkImageAnswer(answer, 'DeviceTreeFile', 'DeviceTree', identity, phone);
      case RestoredDataType.SystemImageRootHash:
        return checkImageAnswer(answer, 'SystemImageRootHashFile', 'SystemVolume', identity, phone);
      case RestoredDataType.SystemImageCanonicalMetadata:
        return checkImageAnswer(answer, 'SystemImageCanonicalMetadataFile', 'Ap,SystemVolumeCanonicalMetadata', identity, phone);
      case RestoredDataType.NORData:
        return shaped(NorDataReplySchema) ?? checkNorData(answer, identity, phone);
      case RestoredDataType.BuildIdentityDict: {
        const variant = typeof step.arguments?.Variant === 'string' ? step.arguments.Variant : 'Erase';
        return shaped(BuildIdentityDictReplySchema) ?? checkBuildIdentityDict(answer, identity, variant);
      }
      case RestoredDataType.ReceiptManifest:
        return shaped(ReceiptManifestReplySchema) ?? checkReceiptManifest(answer, identity);
      case RestoredDataType.BasebandData: {
        if (!BasebandDataReplySchema.safeParse(answer).success)
          return { ok: false, status: RestoreStatus.Baseband, reason: 'the answer to BasebandData is not shaped like one' };
        const nonce = step.arguments?.Nonce instanceof Uint8Array ? step.arguments.Nonce : null;
        const verdict = await this.#c.basebandCheck({ arguments: step.arguments ?? {}, nonce }, answer.BasebandData as Uint8Array);
        return verdict.ok
          ? { ok: true, digests: { ...verdict.digests, BasebandData: sha256Hex(answer.BasebandData as Uint8Array) } }
          : verdict;
      }
      case RestoredDataType.FirmwareUpdaterData:
        return checkCoprocessorAnswer(answer, step.arguments ?? {}, identity, phone.ticketKey);
      default:
        // FDRTrustData, FirmwareUpdaterPreflight: any dict (every known host sends `{}`).
        return { ok: true, digests: {} };
    }
  }

  /** docs/protocols/restored.md#streamed-boot-objects: FileData chunks (≤ 8192 B) until FileDataDone. */
  async #streamedBootObject(step: Extract<ScriptStep, { kind: 'data' }>, entry: DataRequestRecord): Promise<AnswerVerdict> {
    const component = typeof step.arguments?.ImageName === 'string' ? step.arguments.ImageName : '';
    const pieces: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = await this.#receiveAnswer(entry);
      if (!FileDataChunkSchema.safeParse(chunk).success)
        return {
          ok: false,
          status: RestoreStatus.Fail,
          reason: `a ${component} chunk is not FileData (≤ ${FILE_DATA_CHUNK_BYTES} bytes) or FileDataDone`,
        };
      if (chunk.FileDataDone === true) break;
      const data = chunk.FileData as Uint8Array;
      total += data.byteLength;
      if (total > MAX_HOST_MESSAGE_BYTES)
        return { ok: false, status: RestoreStatus.Fail, reason: `${component} is larger than the phone accepts` };
      pieces.push(Buffer.from(data));
    }
    entry.answerKeys = [...new Set(entry.answerKeys)];
    return checkPersonalisedImage(Buffer.concat(pieces, total), component, this.#c.identity, this.#c.phone);
  }

  /** SystemImageData: ASR on the data port, progress 13 as bytes arrive, then 14 once the image hashes right. */
  async #systemImage(request: PlistDict, port: number, entry: DataRequestRecord): Promise<void> {
    const { firmware, faults, record, script } = this.#c;
    const connection = this.#c.listen(port, this.#c.answerTimeoutMs);
    connection.catch(() => undefined);
    await this.#send(request);
    let socket: Duplex;
    try {
      socket = await connection;
    } catch {
      throw new SessionStop('host-gone', RestoreStatus.Fail, 'the host never connected to the ASR port');
    }
    entry.answered = true;
    let lastPercent = -1;
    let pulled = false;
    const report = await runAsrDevice(socket, {
      checksumChunks: script.asr.checksumChunks,
      ...(script.asr.reinitiate ? { reinitiateWithChecksumChunks: script.asr.checksumChunks } : {}),
      expectedSha256: firmware.os.sha256,
      timeoutMs: this.#c.answerTimeoutMs,
      faults: faults.asrDisconnectAtBytes !== undefined ? { disconnectAtBytes: faults.asrDisconnectAtBytes } : {},
      onImageBytes: (bytes) => {
        record.bytesStreamed = bytes;
        const percent = firmware.os.size > 0 ? Math.floor((bytes * 100) / firmware.os.size) : 100;
        if (percent !== lastPercent) {
          lastPercent = percent;
          this.#queueProgress(13, percent);
        }
        if (!pulled && faults.unplugAt === 'asr' && bytes * 2 >= firmware.os.size) {
          pulled = true;
          this.#c.unplug();
        }
      },
    });
    await this.#progressChain;
    record.asr = report;
    record.bytesStreamed = report.bytesReceived;
    entry.bytes = report.bytesReceived;
    if (report.sha256) entry.digests.OS = report.sha256;
    if (report.outcome === 'checksum-mismatch' || report.digestMatches === false) {
      entry.rejected = report.error ?? 'the OS image does not match';
      throw new SessionStop('failed', RestoreStatus.Verification, `ASR: ${entry.rejected}`);
    }
    if (report.outcome !== 'received' || report.bytesReceived !== firmware.os.size) {
      entry.rejected = report.error ?? `ASR ended after ${report.bytesReceived} of ${firmware.os.size} bytes`;
      throw new SessionStop('failed', RestoreStatus.Fail, `ASR: ${entry.rejected}`);
    }
    await this.#send({ MsgType: RestoredMsgType.ProgressMsg, Operation: 14, Progress: 100 });
  }

  #queueProgress(operation: number, progress: number): void {
    this.#progressChain = this.#progressChain
      .then(() => this.#send({ MsgType: RestoredMsgType.ProgressMsg, Operation: operation, Progress: progress }))
      .catch(() => undefined);
  }

  async #send(message: PlistDict): Promise<void> {
    // A pulled cable: nothing leaves the phone any more, whatever the socket still buffers.
    if (!this.#c.connected()) throw new SessionStop('host-gone', null, 'the cable is pulled');
    this.#c.record.messagesSent.push(String(message.MsgType));
    try {
      await this.#c.channel.send(message);
    } catch {
      throw new SessionStop('host-gone', null, 'the host connection is gone');
    }
  }

  async #sendStatus(code: number, log: string): Promise<void> {
    this.#c.record.status = { code, log };
    const message: PlistDict = { MsgType: RestoredMsgType.StatusMsg, Status: code, Log: log };
    if (code !== RestoreStatus.Success) message.AMRError = code;
    await this.#send(message);
  }

  async #finalAcknowledged(): Promise<boolean> {
    try {
      const answer = await this.#c.channel.receive({ timeoutMs: FINAL_ACK_TIMEOUT_MS, maxBytes: 64 * 1024 });
      return isPlistDict(answer) && answer.MsgType === HostMsgType.ReceivedFinalStatusMsg;
    } catch {
      return false;
    }
  }

  async #fail(error: unknown): Promise<SessionEnd> {
    const stop =
      error instanceof SessionStop ? error : new SessionStop('host-gone', null, error instanceof Error ? error.message : String(error));
    try {
      if (stop.status !== null) await this.#sendStatus(stop.status, stop.message);
      // Let the host read the last message before the phone goes: it closes, or the phone stops waiting.
      if (stop.outcome !== 'host-gone') {
        // The phone is going down: its side ends after the last message, and it waits (bounded) for the host to go.
        this.#c.channel.stream.end();
        await this.#c.channel.receive({ timeoutMs: HOST_CLOSE_GRACE_MS, maxBytes: 64 * 1024 }).catch(() => undefined);
      }
    } catch {
      return this.#finish('host-gone', stop.status);
    }
    return this.#finish(stop.outcome, stop.status);
  }

  #finish(outcome: RestoreOutcome, status: number | null): SessionEnd {
    this.#c.record.outcome = outcome;
    this.#c.channel.close();
    return { outcome, status };
  }
}

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
