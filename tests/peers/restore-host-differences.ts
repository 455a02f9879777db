/**
 * What two restore hosts did differently to the same virtual phone: their signing-server requests key by key, and the
 * phone's records of their restores field by field. Each difference is a short name; the documented lists in
 * docs/protocols/tss.md#lifeline-vs-idevicerestore-100 and docs/protocols/restored.md#lifeline-vs-idevicerestore-100
 * name the same differences, and the peer test holds the two to each other.
 */
import { readFileSync } from 'node:fs';
import type { PlistDict } from '../../main/plist/plist-value';
import type { RestoreRecord } from '../../main/sim/restore/restore-record';

/** One comparable text per value: data as hex, integers alike whether number or bigint, dict keys in order. */
function canonical(value: unknown): unknown {
  if (value instanceof Uint8Array) return `data:${Buffer.from(value).toString('hex')}`;
  if (typeof value === 'bigint') return `int:${value}`;
  if (typeof value === 'number' && Number.isInteger(value)) return `int:${value}`;
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function keyDifferences(prefix: string, a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((key) => !same(a[key], b[key])).map((key) => `${prefix}${key}`);
}

/** The signing requests of one restore, by kind: `AP`, `baseband` (no nonce), `baseband+nonce`, in the order sent. */
export function signingRequestsByKind(requests: readonly PlistDict[]): Map<string, PlistDict> {
  const kinds = new Map<string, PlistDict>();
  for (const request of requests) {
    const kind =
      request['@ApImg4Ticket'] === true
        ? 'AP'
        : request['@BBTicket'] === true
          ? request.BbNonce === undefined
            ? 'baseband'
            : 'baseband+nonce'
          : 'other';
    if (!kinds.has(kind)) kinds.set(kind, request);
  }
  return kinds;
}

/** `<kind> <key>` for every top-level key whose value differs (a component entry counts as one key). */
export function signingRequestDifferences(peer: readonly PlistDict[], ours: readonly PlistDict[]): string[] {
  const a = signingRequestsByKind(peer);
  const b = signingRequestsByKind(ours);
  const differences: string[] = [];
  for (const kind of new Set([...a.keys(), ...b.keys()])) {
    const left = a.get(kind);
    const right = b.get(kind);
    if (!left || !right) differences.push(`${kind} (sent by one host only)`);
    else differences.push(...keyDifferences(`${kind} `, left, right));
  }
  return differences.sort();
}

/** Host requests before the session's own QueryType (finding the phone) and from it on (the session). */
function splitRequests(requests: readonly string[]): { identification: string[]; session: string[] } {
  const start = requests.lastIndexOf('QueryType');
  return { identification: requests.slice(0, Math.max(start, 0)), session: requests.slice(Math.max(start, 0)) };
}

/**
 * Field by field. Not compared: the bytes of each answer and the digests' values — each host carries its own ticket
 * (the signing server's ECDSA signatures differ every time), so every personalised image differs in bytes while the
 * phone's checks pass for both; which images the phone checked (the digests' names) is compared.
 */
export function restoreRecordDifferences(peer: RestoreRecord, ours: RestoreRecord): string[] {
  const differences: string[] = [];
  const note = (name: string, a: unknown, b: unknown): void => {
    if (!same(a, b)) differences.push(name);
  };
  const [pa, pb] = [splitRequests(peer.requests), splitRequests(ours.requests)];
  note('requests (identification)', pa.identification, pb.identification);
  note('requests (session)', pa.session, pb.session);
  note('label', peer.label, ours.label);
  differences.push(...keyDifferences('restoreOptions.', peer.restoreOptions ?? {}, ours.restoreOptions ?? {}));
  for (const field of [
    'protocolVersion',
    'script',
    'behavior',
    'messagesSent',
    'bytesStreamed',
    'status',
    'finalStatusAcknowledged',
    'outcome',
    'fdr',
  ] as const) {
    note(field, peer[field], ours[field]);
  }
  note(
    'dataRequests (order)',
    peer.dataRequests.map((r) => r.dataType),
    ours.dataRequests.map((r) => r.dataType),
  );
  const seen = new Map<string, number>();
  for (const [index, left] of peer.dataRequests.entries()) {
    const right = ours.dataRequests[index];
    if (!right || right.dataType !== left.dataType) break;
    const n = seen.get(left.dataType) ?? 0;
    seen.set(left.dataType, n + 1);
    const name = `${left.dataType}#${n + 1}`;
    for (const field of ['arguments', 'dataPort', 'answered', 'answerKeys', 'rejected'] as const)
      note(`${name}.${field}`, left[field], right[field]);
    note(`${name}.digests (names)`, Object.keys(left.digests).sort(), Object.keys(right.digests).sort());
  }
  if (peer.asr && ours.asr) {
    const { packetInfo: pi, ...pr } = peer.asr;
    const { packetInfo: oi, ...or } = ours.asr;
    differences.push(...keyDifferences('asr.', pr, or), ...keyDifferences('asr.packetInfo.', pi ?? {}, oi ?? {}));
  } else note('asr', peer.asr, ours.asr);
  return differences.sort();
}

/**
 * The rows of the first table under `## <heading>` in a markdown file, as trimmed cells (header and rule rows left
 * out). The docs keep the justified differences there; tests read them from the same place people do.
 */
export function markdownTableUnder(file: string, heading: string): string[][] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`);
  if (start < 0) throw new Error(`${file} has no "## ${heading}" section`);
  const rows: string[][] = [];
  let inTable = false;
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('## ')) break;
    if (!line.trim().startsWith('|')) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    rows.push(
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => cell.trim()),
    );
  }
  return rows.slice(2);
}

/** The backticked names in a cell: "`AP`, `baseband`" → ["AP", "baseband"]. */
export function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}
