/**
 * The SecureROM / iBoot device-info string (USB iSerialNumber, and the nonce string at descriptor index 1):
 * space-separated KEY:VALUE tokens (docs/protocols/irecv.md#serial-string). The host parses it; the simulator formats it.
 */

/** Longest input we look at; a Windows interface path with a full serial string is ~250 characters. */
export const MAX_SERIAL_INPUT_LENGTH = 2048;
const MAX_BRACKET_VALUE_LENGTH = 128;
/** 64-byte nonces are already larger than any seen (20 or 32 bytes, docs/protocols/irecv.md#nonces). */
const MAX_NONCE_HEX_LENGTH = 128;
const MAX_PROBLEMS = 16;

export type DeviceSerial = {
  /** Chip id; 0x8900 when the string has no CPID (docs/protocols/irecv.md#serial-string rule for iOS 1). */
  cpid: number;
  cpidAssumed: boolean;
  cprv?: number;
  cpfm?: number;
  scep?: number;
  bdid?: number;
  ecid?: bigint;
  ibfl?: number;
  /** SecureROM tag, e.g. "iBoot-2696.0.0.1.33": present only while SecureROM (DFU) answers. */
  srtg?: string;
  sdom?: number;
  srnm?: string;
  imei?: string;
  nonc?: Uint8Array;
  snon?: Uint8Array;
  /** Set by exploit tools after pwning DFU, e.g. "checkm8". */
  pwnd?: string;
  /** Port-controller revision (Port DFU only). */
  prev?: number;
  /** Which stage answered: SRTG means SecureROM; SRNM/IMEI/SDOM mean iBoot. */
  stage: 'securerom' | 'iboot' | 'unknown';
  source: 'plain' | 'windows-path';
  /** Product id found in a Windows interface path (`pid_1281`), when present. */
  pathProductId?: number;
  /** Unknown keys, kept verbatim (bounded). */
  other: Record<string, string>;
  /** Non-fatal oddities: unparseable values, duplicate keys, stray text. */
  problems: string[];
  /**
   * Set when an identity field (ECID, SRNM, IMEI) is present but not in its real form: such a device is listed, never
   * restored. Says which field, for logs.
   */
  invalidIdentity?: string;
};

export type SerialParseFailure = {
  code: 'not-a-string' | 'empty' | 'too-long' | 'no-fields';
  message: string;
};

export type SerialParseResult = { ok: true; serial: DeviceSerial } | { ok: false; error: SerialParseFailure };

type HexField = 'CPID' | 'CPRV' | 'CPFM' | 'SCEP' | 'BDID' | 'IBFL' | 'SDOM' | 'PREV';
const HEX_FIELDS: ReadonlySet<string> = new Set<HexField>(['CPID', 'CPRV', 'CPFM', 'SCEP', 'BDID', 'IBFL', 'SDOM', 'PREV']);
const STRING_FIELDS: ReadonlySet<string> = new Set(['SRTG', 'SRNM', 'IMEI', 'PWND']);
const NONCE_FIELDS: ReadonlySet<string> = new Set(['NONC', 'SNON']);
/** Serial numbers are up to 12 letters and digits (some boards report none); IMEIs are 14–16 digits. */
const IDENTITY_STRING_FORMS: Readonly<Record<string, RegExp>> = { SRNM: /^[A-Za-z0-9]{0,20}$/, IMEI: /^\d{14,16}$/ };

function failure(code: SerialParseFailure['code'], message: string): SerialParseResult {
  return { ok: false, error: { code, message } };
}

/**
 * Windows interface paths carry the string lowercased with `_` for spaces (docs/protocols/irecv.md#windows-interface-paths), as one `#`-separated
 * segment. Returns that segment with spaces restored, or null when the input is not such a path.
 */
function fromWindowsPath(input: string): { text: string; productId?: number } | null {
  if (!input.includes('#') || !/vid_05ac/i.test(input)) return null;
  const segments = input.split('#');
  const serial = segments.find((s) => /(^|_)(cpid|ecid|bdid|sdom):/i.test(s));
  if (serial === undefined) return null;
  let text = '';
  let inBracket = false;
  for (const ch of serial) {
    if (ch === '[') inBracket = true;
    else if (ch === ']') inBracket = false;
    text += ch === '_' && !inBracket ? ' ' : ch;
  }
  const pid = /pid_([0-9a-f]{4})/i.exec(input);
  const result: { text: string; productId?: number } = { text };
  if (pid?.[1] !== undefined) result.productId = Number.parseInt(pid[1], 16);
  return result;
}

type Token = { key: string; value: string; bracketed: boolean };

/** Splits on whitespace outside brackets; bracketed values may contain spaces. Linear in the input. */
function tokenize(text: string, problems: string[]): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\0';
  while (i < n) {
    while (i < n && isSpace(text[i])) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !isSpace(text[i]) && text[i] !== ':') i++;
    const key = text.slice(start, i);
    if (text[i] !== ':') {
      note(problems, `ignored stray text "${clip(key)}"`);
      continue;
    }
    i++; // ':'
    if (text[i] === '[') {
      const close = text.indexOf(']', i + 1);
      if (close === -1) {
        note(problems, `unterminated bracket after ${clip(key)}`);
        break;
      }
      tokens.push({ key, value: text.slice(i + 1, close), bracketed: true });
      i = close + 1;
    } else {
      const vStart = i;
      while (i < n && !isSpace(text[i])) i++;
      tokens.push({ key, value: text.slice(vStart, i), bracketed: false });
    }
  }
  return tokens;
}

function clip(s: string): string {
  return s.length > 24 ? `${s.slice(0, 24)}…` : s;
}

function note(problems: string[], message: string): void {
  if (problems.length < MAX_PROBLEMS) problems.push(message);
}

function parseHexNumber(value: string): number | undefined {
  const v = value.replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]{1,8}$/.test(v)) return undefined;
  return Number.parseInt(v, 16);
}

function parseEcid(value: string): bigint | undefined {
  const v = value.replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]{1,16}$/.test(v)) return undefined;
  return BigInt(`0x${v}`);
}

function parseNonce(value: string): Uint8Array | undefined {
  if (value.length === 0 || value.length > MAX_NONCE_HEX_LENGTH || value.length % 2 !== 0) return undefined;
  if (!/^[0-9a-fA-F]+$/.test(value)) return undefined;
  return Uint8Array.from(Buffer.from(value, 'hex'));
}

/** Windows paths lowercase everything; restore the canonical spelling where we know it. */
function canonicalString(key: string, value: string, source: DeviceSerial['source']): string {
  if (source !== 'windows-path') return value;
  if (key === 'SRTG') return value.replace(/^iboot-/i, 'iBoot-');
  if (key === 'SRNM' || key === 'IMEI') return value.toUpperCase();
  return value;
}

/**
 * The device-info string inside a Windows interface path, in the spelling the device sends (upper-case keys and hex,
 * spaces restored, `iBoot-` tags): what a USB stack that reads iSerialNumber would report. Null when `path` holds none.
 */
export function serialFromWindowsPath(path: string): string | null {
  if (path.length > MAX_SERIAL_INPUT_LENGTH) return null;
  const windows = fromWindowsPath(path);
  if (!windows) return null;
  const tokens = tokenize(windows.text, []);
  if (tokens.length === 0) return null;
  return tokens
    .map(({ key, value, bracketed }) => {
      const upperKey = key.toUpperCase();
      return bracketed ? `${upperKey}:[${canonicalString(upperKey, value, 'windows-path')}]` : `${upperKey}:${value.toUpperCase()}`;
    })
    .join(' ');
}

/** Parse a serial/nonce string. Never throws, whatever the input. */
export function parseIBootSerial(input: unknown): SerialParseResult {
  if (typeof input !== 'string') return failure('not-a-string', 'The device serial is not text.');
  if (input.length > MAX_SERIAL_INPUT_LENGTH) {
    return failure('too-long', `The device serial is ${input.length} characters; at most ${MAX_SERIAL_INPUT_LENGTH} are accepted.`);
  }
  if (input.trim().length === 0) return failure('empty', 'The device serial is empty.');

  const windows = fromWindowsPath(input);
  const source: DeviceSerial['source'] = windows ? 'windows-path' : 'plain';
  const problems: string[] = [];
  const tokens = tokenize(windows ? windows.text : input, problems);

  const serial: DeviceSerial = { cpid: 0x8900, cpidAssumed: true, stage: 'unknown', source, other: {}, problems };
  if (windows?.productId !== undefined) serial.pathProductId = windows.productId;
  const seen = new Set<string>();
  let known = 0;

  for (const token of tokens) {
    const key = token.key.toUpperCase();
    if (seen.has(key)) {
      note(problems, `duplicate ${clip(key)} ignored`);
      continue;
    }
    seen.add(key);
    if (HEX_FIELDS.has(key)) {
      const value = token.bracketed ? undefined : parseHexNumber(token.value);
      if (value === undefined) {
        note(problems, `${key} is not a hex number: "${clip(token.value)}"`);
        continue;
      }
      known++;
      switch (key as HexField) {
        case 'CPID':
          serial.cpid = value;
          serial.cpidAssumed = false;
          break;
        case 'CPRV':
          serial.cprv = value;
          break;
        case 'CPFM':
          serial.cpfm = value;
          break;
        case 'SCEP':
          serial.scep = value;
          break;
        case 'BDID':
          serial.bdid = value;
          break;
        case 'IBFL':
          serial.ibfl = value;
          break;
        case 'SDOM':
          serial.sdom = value;
          break;
        case 'PREV':
          serial.prev = value;
          break;
      }
    } else if (key === 'ECID') {
      const ecid = token.bracketed ? undefined : parseEcid(token.value);
      if (ecid === undefined) {
        note(problems, `ECID is not a 64-bit hex number: "${clip(token.value)}"`);
        serial.invalidIdentity ??= 'ECID is not a 64-bit hex number';
        continue;
      }
      known++;
      serial.ecid = ecid;
    } else if (STRING_FIELDS.has(key)) {
      if (token.value.length > MAX_BRACKET_VALUE_LENGTH) {
        note(problems, `${key} is too long`);
        continue;
      }
      known++;
      const value = canonicalString(key, token.value, source);
      const form = IDENTITY_STRING_FORMS[key];
      if (form && !form.test(value)) {
        note(problems, `${key} is not in its real form`);
        serial.invalidIdentity ??= `${key} is not in its real form`;
        continue;
      }
      if (key === 'SRTG') serial.srtg = value;
      else if (key === 'SRNM') serial.srnm = value;
      else if (key === 'IMEI') serial.imei = value;
      else serial.pwnd = value;
    } else if (NONCE_FIELDS.has(key)) {
      const nonce = token.bracketed ? undefined : parseNonce(token.value);
      if (nonce === undefined) {
        note(problems, `${key} is not a hex byte string`);
        continue;
      }
      known++;
      if (key === 'NONC') serial.nonc = nonce;
      else serial.snon = nonce;
    } else if (/^[A-Z]{4}$/.test(key) && token.value.length <= MAX_BRACKET_VALUE_LENGTH) {
      if (Object.keys(serial.other).length < MAX_PROBLEMS) serial.other[key] = token.value;
    } else {
      note(problems, `ignored token "${clip(token.key)}"`);
    }
  }

  if (known === 0) {
    return failure('no-fields', 'This is not an Apple device-info string: no CPID, ECID, BDID or other known field was found.');
  }
  if (serial.srtg !== undefined) serial.stage = 'securerom';
  else if (serial.srnm !== undefined || serial.imei !== undefined || serial.sdom !== undefined) serial.stage = 'iboot';
  return { ok: true, serial };
}

type SerialCommon = {
  cpid: number;
  cprv: number;
  cpfm: number;
  scep: number;
  bdid: number;
  ecid: bigint;
  ibfl: number;
};

export type IBootSerialFields =
  | (SerialCommon & { form: 'dfu'; srtg?: string; pwnd?: string })
  | (SerialCommon & { form: 'recovery'; sdom?: number; srnm: string; imei?: string });

function hex(value: number | bigint, width: number): string {
  return value.toString(16).toUpperCase().padStart(width, '0');
}

/**
 * The string a device presents as iSerialNumber (docs/protocols/irecv.md#serial-string examples):
 * DFU `CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:0C ECID:… IBFL:3C SRTG:[iBoot-2696.0.0.1.33]`,
 * recovery `[SDOM:01 ]CPID:… IBFL:3C SRNM:[…] IMEI:[…]`.
 */
export function formatIBootSerial(fields: IBootSerialFields): string {
  const parts: string[] = [];
  if (fields.form === 'recovery' && fields.sdom !== undefined) parts.push(`SDOM:${hex(fields.sdom, 2)}`);
  parts.push(
    `CPID:${hex(fields.cpid, 4)}`,
    `CPRV:${hex(fields.cprv, 2)}`,
    `CPFM:${hex(fields.cpfm, 2)}`,
    `SCEP:${hex(fields.scep, 2)}`,
    `BDID:${hex(fields.bdid, 2)}`,
    `ECID:${hex(BigInt.asUintN(64, fields.ecid), 16)}`,
    `IBFL:${hex(fields.ibfl, 2)}`,
  );
  if (fields.form === 'dfu') {
    if (fields.srtg !== undefined) parts.push(`SRTG:[${fields.srtg}]`);
    if (fields.pwnd !== undefined) parts.push(`PWND:[${fields.pwnd}]`);
  } else {
    parts.push(`SRNM:[${fields.srnm}]`);
    if (fields.imei !== undefined) parts.push(`IMEI:[${fields.imei}]`);
  }
  return parts.join(' ');
}

/** The nonce string at string descriptor index 1 (docs/protocols/irecv.md#nonces). */
export function formatNonceString(nonces: { nonc?: Uint8Array; snon?: Uint8Array }): string {
  const parts: string[] = [];
  if (nonces.nonc) parts.push(`NONC:${Buffer.from(nonces.nonc).toString('hex').toUpperCase()}`);
  if (nonces.snon) parts.push(`SNON:${Buffer.from(nonces.snon).toString('hex').toUpperCase()}`);
  return parts.join(' ');
}
