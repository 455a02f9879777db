/**
 * A local stand-in for Apple's signing server (docs/protocols/tss.md#transport, docs/protocols/tss.md#ap-request, docs/protocols/boot-chain.md#simulator-boot-chain "Fake TSS server"): it speaks the
 * real format (XML plist POST → `STATUS=…&MESSAGE=…&REQUEST_STRING=<plist>`), checks the request's shape, and signs
 * IM4M tickets with a test key generated at start — the virtual phones trust that key, nothing else does.
 * Builds listed as unsigned are refused with STATUS 94, like Apple's server for a build it no longer signs. Baseband and
 * coprocessor (SE, Savage) requests get practice tickets of their own, after their keys are checked.
 */
import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tagForComponent } from '../img4/component-tags';
import type { Img4Properties } from '../img4/im4m';
import { generateTicketSigningKey, signTicket, type TicketSigningKey } from '../img4/ticket-signature';
import { decodePlist, encodeXmlPlist } from '../plist/plist-codec';
import { isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';
import { signPracticeBbTicket, signPracticeBlob, type PracticeModem } from './restore/practice-baseband-signature';
import { coprocessorFamilyOf, coprocessorRequestProblem, signPracticeCoprocessorTicket } from './restore/practice-coprocessor-signature';

const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const MAX_KEPT_REQUESTS = 32;
const MAX_KEPT_REQUEST_LINES = 256;
const MAX_LOGGED_TARGET_CHARS = 512;

export type FakeTssFaults = {
  /** Answer every request with this STATUS (e.g. 126) instead of signing. */
  status: number | null;
  /** Answer without a STATUS (the client should retry) this many times. */
  noStatusCount: number;
  /** Wait this long before answering. */
  delayMs: number;
};

export type FakeTssServer = {
  url: string;
  key: TicketSigningKey;
  /** PEM of the public key the virtual phones trust. */
  publicKeyPem: string;
  /** UniqueBuildID (hex) of builds this server refuses to sign (STATUS 94). */
  unsignedBuilds: Set<string>;
  faults: FakeTssFaults;
  /** The last requests received (bounded). */
  requests: PlistDict[];
  /** Modems this server knows, by ECID (decimal): a baseband request for that ECID must carry exactly these values. */
  basebandPhones: Map<string, Omit<PracticeModem, 'ecid'>>;
  /** Every HTTP request line received (bounded), e.g. `POST http://gs.apple.com/TSS/controller?action=2` or a refused `CONNECT gs.apple.com:443`. */
  requestLines: string[];
  /** `http://host:port` for a client's `http_proxy`: the server answers absolute-URI requests itself and refuses CONNECT. */
  proxyUrl: string;
  close(): Promise<void>;
};

/**
 * The signing path of a request target, in origin form (`/TSS/controller?action=2`) or, when the server is a
 * client's http proxy, absolute form over plain http (`http://gs.apple.com/TSS/controller?action=2`); else null.
 */
export function signingPathOf(target: string): string | null {
  if (target.startsWith('/')) return target.startsWith('/TSS/controller') ? target : null;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' || !url.pathname.startsWith('/TSS/controller')) return null;
  return `${url.pathname}${url.search}`;
}

const REQUIRED_KEYS = [
  '@ApImg4Ticket',
  'ApECID',
  'ApChipID',
  'ApBoardID',
  'ApSecurityDomain',
  'ApNonce',
  'ApProductionMode',
  'ApSecurityMode',
];

function asBigInt(value: PlistValue | undefined): bigint | null {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'bigint' && value >= 0n) return value;
  return null;
}

/**
 * docs/protocols/baseband.md#tss-request: the gold certificate id is a 32-bit value, and some clients (idevicerestore
 * 1.0.0) send it sign-extended, so 0xE4E3B518 may arrive as -454817768. The server reads it as 32 bits either way.
 */
export function goldCertIdOf(value: PlistValue | undefined): number | null {
  const n = typeof value === 'bigint' ? value : typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : null;
  if (n === null || n < -(2n ** 31n) || n >= 2n ** 32n) return null;
  return Number(BigInt.asUintN(32, n));
}

/** The shape check Apple's server does, as far as a malformed request is concerned (docs/protocols/tss.md#ap-request): else STATUS 94. */
export function tssRequestProblem(request: PlistDict): string | null {
  for (const key of REQUIRED_KEYS) if (request[key] === undefined) return `missing ${key}`;
  if (!(request.ApNonce instanceof Uint8Array)) return 'ApNonce is not data';
  for (const key of ['ApECID', 'ApChipID', 'ApBoardID', 'ApSecurityDomain'])
    if (asBigInt(request[key]) === null) return `${key} is not an integer`;
  for (const [name, entry] of Object.entries(request)) {
    if (!isPlistDict(entry)) continue;
    if (!(entry.Digest instanceof Uint8Array)) return `${name} has no Digest`;
    if (typeof entry.EPRO !== 'boolean' || typeof entry.ESEC !== 'boolean') return `${name} lacks EPRO/ESEC`;
    if (entry.Info !== undefined) return `${name} still carries Info`;
  }
  return null;
}

/** docs/protocols/baseband.md#tss-request: what a baseband request must carry; null when it is well formed. */
export function basebandRequestProblem(request: PlistDict, known?: Omit<PracticeModem, 'ecid'>): string | null {
  for (const key of ['ApECID', 'ApChipID', 'ApBoardID', 'ApSecurityDomain', 'BbChipID'])
    if (asBigInt(request[key]) === null) return `${key} is not an integer`;
  const goldCertId = goldCertIdOf(request.BbGoldCertId);
  if (goldCertId === null) return 'BbGoldCertId is not a 32-bit integer';
  if (!(request.BbSNUM instanceof Uint8Array) || request.BbSNUM.byteLength === 0) return 'BbSNUM is not data';
  if (request.BbNonce !== undefined && !(request.BbNonce instanceof Uint8Array)) return 'BbNonce is not data';
  const firmware = request.BasebandFirmware;
  if (!isPlistDict(firmware)) return 'no BasebandFirmware';
  if (firmware.Info !== undefined) return 'BasebandFirmware still carries Info';
  if (!Object.entries(firmware).some(([key, value]) => key.endsWith('-PartialDigest') && value instanceof Uint8Array))
    return 'BasebandFirmware has no PartialDigest';
  if (known) {
    if (asBigInt(request.BbChipID) !== BigInt(known.bbChipId)) return 'BbChipID is not this phone’s';
    if (goldCertId !== known.bbGoldCertId) return 'BbGoldCertId is not this phone’s';
    if (!Buffer.from(request.BbSNUM).equals(Buffer.from(known.bbSnum))) return 'BbSNUM is not this phone’s';
  }
  return null;
}

/** The practice baseband answer (docs/protocols/baseband.md#practice-signatures): a BBTicket and one blob per element with a PartialDigest. */
export function signedBasebandAnswerFor(request: PlistDict, key: TicketSigningKey): PlistDict {
  const modem: PracticeModem = {
    ecid: asBigInt(request.ApECID) ?? 0n,
    bbChipId: Number(asBigInt(request.BbChipID) ?? 0n),
    bbGoldCertId: goldCertIdOf(request.BbGoldCertId) ?? 0,
    bbSnum: request.BbSNUM as Uint8Array,
  };
  const firmware: PlistDict = {};
  for (const [name, value] of Object.entries(request.BasebandFirmware as PlistDict)) {
    if (!name.endsWith('-PartialDigest') || !(value instanceof Uint8Array)) continue;
    const element = name.slice(0, -'-PartialDigest'.length);
    firmware[`${element}-Blob`] = signPracticeBlob(key, element, value, modem);
  }
  const nonce = request.BbNonce instanceof Uint8Array ? request.BbNonce : null;
  return { BBTicket: signPracticeBbTicket(key, modem, nonce), BasebandFirmware: firmware };
}

export function signedTicketFor(request: PlistDict, key: TicketSigningKey): Buffer {
  const manifest: Img4Properties = new Map<string, Uint8Array | bigint | boolean>([
    ['BNCH', request.ApNonce as Uint8Array],
    ['CHIP', asBigInt(request.ApChipID) ?? 0n],
    ['BORD', asBigInt(request.ApBoardID) ?? 0n],
    ['ECID', asBigInt(request.ApECID) ?? 0n],
    ['SDOM', asBigInt(request.ApSecurityDomain) ?? 0n],
    ['CPRO', request.ApProductionMode === true],
    ['CSEC', request.ApSecurityMode === true],
  ]);
  if (request.SepNonce instanceof Uint8Array) manifest.set('snon', request.SepNonce);
  const images = new Map<string, Img4Properties>();
  for (const [name, entry] of Object.entries(request)) {
    if (!isPlistDict(entry) || !(entry.Digest instanceof Uint8Array)) continue;
    const tag = tagForComponent(name) ?? (name.length === 4 ? name : undefined);
    if (!tag) continue;
    images.set(
      tag,
      new Map<string, Uint8Array | bigint | boolean>([
        ['DGST', entry.Digest],
        ['EPRO', entry.EPRO === true],
        ['ESEC', entry.ESEC === true],
      ]),
    );
  }
  return signTicket(key, manifest, images);
}

function answer(response: ServerResponse, text: string): void {
  response.writeHead(200, { 'Content-Type': 'text/plain' });
  response.end(text);
}

export async function startFakeTssServer(options: { unsignedBuilds?: Iterable<string> } = {}): Promise<FakeTssServer> {
  const key = generateTicketSigningKey();
  const sockets = new Set<Socket>();
  const state: Omit<FakeTssServer, 'url' | 'proxyUrl' | 'close'> = {
    key,
    publicKeyPem: key.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    unsignedBuilds: new Set([...(options.unsignedBuilds ?? [])].map((b) => b.toLowerCase())),
    faults: { status: null, noStatusCount: 0, delayMs: 0 },
    requests: [],
    basebandPhones: new Map(),
    requestLines: [],
  };

  function noteRequestLine(method: string | undefined, target: string | undefined): void {
    if (state.requestLines.length >= MAX_KEPT_REQUEST_LINES) state.requestLines.shift();
    state.requestLines.push(`${method ?? '?'} ${(target ?? '').slice(0, MAX_LOGGED_TARGET_CHARS)}`);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    noteRequestLine(request.method, request.url);
    if (request.method !== 'POST' || signingPathOf(request.url ?? '') === null) {
      response.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > MAX_REQUEST_BYTES) {
        response.writeHead(413).end();
        request.destroy();
        return;
      }
      chunks.push(chunk);
    }
    if (state.faults.delayMs > 0) await new Promise((r) => setTimeout(r, state.faults.delayMs));
    if (state.faults.noStatusCount > 0) {
      state.faults.noStatusCount--;
      response.writeHead(503).end('busy');
      return;
    }
    let plist: PlistValue;
    try {
      plist = decodePlist(Buffer.concat(chunks), { maxBytes: MAX_REQUEST_BYTES });
    } catch {
      answer(response, "STATUS=94&MESSAGE=This device isn't eligible for the requested build.");
      return;
    }
    if (!isPlistDict(plist)) {
      answer(response, "STATUS=94&MESSAGE=This device isn't eligible for the requested build.");
      return;
    }
    if (state.requests.length >= MAX_KEPT_REQUESTS) state.requests.shift();
    state.requests.push(plist);
    if (state.faults.status !== null) {
      answer(response, `STATUS=${state.faults.status}&MESSAGE=Simulated failure`);
      return;
    }
    const build = plist.UniqueBuildID instanceof Uint8Array ? Buffer.from(plist.UniqueBuildID).toString('hex') : '';
    if (coprocessorFamilyOf(plist) !== null) {
      // docs/protocols/tss.md#coprocessor-requests: a malformed coprocessor request is refused like a malformed AP one.
      if (coprocessorRequestProblem(plist) !== null)
        answer(response, "STATUS=94&MESSAGE=This device isn't eligible for the requested build.");
      else {
        const { ticketKey, ticket } = signPracticeCoprocessorTicket(key, plist);
        answer(response, `STATUS=0&MESSAGE=SUCCESS&REQUEST_STRING=${encodeXmlPlist({ [ticketKey]: ticket }).toString('utf8')}`);
      }
      return;
    }
    if (plist['@BBTicket'] === true && plist.BasebandFirmware !== undefined) {
      const known = state.basebandPhones.get(String(asBigInt(plist.ApECID) ?? ''));
      // docs/protocols/tss.md#status-codes: 49 = invalid baseband data.
      if (basebandRequestProblem(plist, known) !== null) answer(response, 'STATUS=49&MESSAGE=Invalid baseband data');
      else if (state.unsignedBuilds.has(build)) answer(response, "STATUS=94&MESSAGE=This device isn't eligible for the requested build.");
      else
        answer(response, `STATUS=0&MESSAGE=SUCCESS&REQUEST_STRING=${encodeXmlPlist(signedBasebandAnswerFor(plist, key)).toString('utf8')}`);
      return;
    }
    if (tssRequestProblem(plist) !== null || state.unsignedBuilds.has(build)) {
      answer(response, "STATUS=94&MESSAGE=This device isn't eligible for the requested build.");
      return;
    }
    const ticket = signedTicketFor(plist, key);
    answer(response, `STATUS=0&MESSAGE=SUCCESS&REQUEST_STRING=${encodeXmlPlist({ ApImg4Ticket: ticket }).toString('utf8')}`);
  }

  const server = http.createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  // A proxy that tunnels nothing: an https attempt through it fails at once, and nothing leaves the machine.
  server.on('connect', (request: IncomingMessage, socket: Socket) => {
    noteRequestLine(request.method, request.url);
    socket.on('error', () => undefined);
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    ...state,
    get requests() {
      return state.requests;
    },
    get requestLines() {
      return state.requestLines;
    },
    url: `http://127.0.0.1:${port}/TSS/controller?action=2`,
    proxyUrl: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
