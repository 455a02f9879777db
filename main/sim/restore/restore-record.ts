/**
 * What one host did in one restore, as the virtual phone saw it: its requests, the options it sent, every data request
 * and what the phone made of the answer (with digests), what ASR streamed, how it ended. Tests compare hosts with it.
 */
import type { AsrDeviceReport } from './asr-device';
import type { RestoreScriptName } from './restore-scripts';

export type DataRequestRecord = {
  dataType: string;
  /** The phone's Arguments, as sent. */
  arguments: Record<string, unknown> | null;
  dataPort: number | null;
  /** The host answered (on the connection or the data port). */
  answered: boolean;
  /** Keys of the host's answer dict (empty for ASR). */
  answerKeys: string[];
  /** Bytes the host sent for this request. */
  bytes: number;
  /** SHA-256 (hex) of each image or blob the phone checked, by component or key. */
  digests: Record<string, string>;
  /** null when the answer passed the phone's checks. */
  rejected: string | null;
};

export type RestoreOutcome =
  /** StatusMsg 0 sent; the phone reboots into the new iOS. */
  | 'finished'
  /** A check failed or a fault ended the restore with an error StatusMsg. */
  | 'failed'
  /** restored crashed (RestoredCrash). */
  | 'crashed'
  /** The host went away (connection closed, cable pulled, no answer in time). */
  | 'host-gone'
  /** StartRestore never came. */
  | 'not-started';

export type RestoreRecord = {
  /** Host requests on the restored port, in order (`QueryType`, `QueryValue HardwareInfo`, `StartRestore`, …). */
  requests: string[];
  /** The Label of the host that sent StartRestore (e.g. `idevicerestore`). */
  label: string | null;
  restoreOptions: Record<string, unknown> | null;
  protocolVersion: number | null;
  script: RestoreScriptName | null;
  behavior: 'Erase' | 'Update' | null;
  dataRequests: DataRequestRecord[];
  /** MsgType of every message the phone sent, in order. */
  messagesSent: string[];
  asr: AsrDeviceReport | null;
  /** OS image bytes that reached the phone. */
  bytesStreamed: number;
  status: { code: number; log: string } | null;
  /** The host acknowledged the final status (ReceivedFinalStatusMsg). */
  finalStatusAcknowledged: boolean;
  outcome: RestoreOutcome | null;
  /** The host's side of the FDR channel (docs/protocols/fdr.md): BeginCtrl done, a data connection pinged. */
  fdr: { beganControl: boolean; pinged: boolean };
};

export function emptyRestoreRecord(): RestoreRecord {
  return {
    requests: [],
    label: null,
    restoreOptions: null,
    protocolVersion: null,
    script: null,
    behavior: null,
    dataRequests: [],
    messagesSent: [],
    asr: null,
    bytesStreamed: 0,
    status: null,
    finalStatusAcknowledged: false,
    outcome: null,
    fdr: { beganControl: false, pinged: false },
  };
}
