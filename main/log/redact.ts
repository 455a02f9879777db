import { maskPhoneId } from '../../common/phone-id-mask';

/**
 * What a log line or a diagnostics file may never hold (docs/ARCHITECTURE.md rule 10): a phone's UDID, ECID, serial
 * number, IMEI / MEID, a phone number, a password, or the person's home folder (it names them). UDIDs and ECIDs keep
 * their last six characters (`maskPhoneId`), enough to tell two phones apart in one log; the rest go entirely.
 *
 * Text is matched without word boundaries where a boundary could let an identifier through (a UDID glued to more
 * hex is still a UDID), so over-redaction of other long hex (SHA digests) is accepted as the price.
 */
export type RedactOptions = {
  /** The person's home folder, replaced by `~` wherever it appears. */
  homeDir?: string;
};

/** Longest string kept from one value (the rest is cut with a note), deepest nesting and widest object or array walked. */
export const MAX_REDACTED_STRING = 10_000;
const MAX_DEPTH = 8;
const MAX_ITEMS = 200;

const masked = (kind: string, value: string): string => `[${kind} ${maskPhoneId(value.replace(/^0x/i, ''))}]`;

type Rule = { pattern: RegExp; replace: (match: string, ...groups: string[]) => string };

/** Labels as lockdown, iBoot's USB serial string, JSON or people write them; the label stays, its value goes. */
const LABEL_GAP = String.raw`("?\s*[:=]\s*"?\[?\s*)`;
const labelled = (labels: string, value: string): RegExp => new RegExp(String.raw`(\b|_)(${labels})${LABEL_GAP}(${value})`, 'gi');

const RULES: readonly Rule[] = [
  // UDIDs: 40 hex (older phones), 8-16 hex (newer phones; the 16 are the ECID). Any longer hex run goes whole.
  { pattern: /[0-9a-f]{8}-[0-9a-f]{16}/gi, replace: (udid) => masked('udid', udid.replace('-', '')) },
  { pattern: /[0-9a-f]{40,}/gi, replace: (udid) => masked('udid', udid) },
  // Labelled values before the bare-number rules, so the label decides the kind.
  {
    pattern: labelled('ecid|unique_?chip_?id', String.raw`(?:0x)?[0-9a-f]{4,20}`),
    replace: (_m, pre, label, gap, value) => `${pre}${label}${gap}${masked('ecid', value!)}`,
  },
  {
    pattern: labelled('serial_?number|serial|srnm|serial number', '[A-Z0-9]{5,20}'),
    replace: (_m, pre, label, gap) => `${pre}${label}${gap}[serial]`,
  },
  {
    pattern: labelled('international_?mobile_?equipment_?identity2?|imei2?', String.raw`[0-9][0-9 -]{12,20}[0-9]`),
    replace: (_m, pre, label, gap) => `${pre}${label}${gap}[imei]`,
  },
  {
    pattern: labelled('mobile_?equipment_?identifier|meid', '[0-9a-f]{14,18}'),
    replace: (_m, pre, label, gap) => `${pre}${label}${gap}[meid]`,
  },
  {
    pattern: labelled('phone_?number|msisdn', String.raw`\+?[0-9][0-9 ().-]{4,24}[0-9]`),
    replace: (_m, pre, label, gap) => `${pre}${label}${gap}[phone number]`,
  },
  // A bare ECID as the registry writes it (16 hex), and a bare IMEI (15 digits).
  { pattern: /\b(?:0x)?[0-9a-f]{16}\b/gi, replace: (ecid) => masked('ecid', ecid) },
  { pattern: /(?<![0-9])[0-9]{15}(?![0-9])/g, replace: () => '[imei]' },
  // Phone numbers: international (+ and 7 or more digits) and the North American 3-3-4 form.
  { pattern: /\+[0-9](?:[ ().-]{0,2}[0-9]){6,14}/g, replace: () => '[phone number]' },
  { pattern: /(?<![0-9])\(?[0-9]{3}\)?[ .-][0-9]{3}[ .-][0-9]{4}(?![0-9])/g, replace: () => '[phone number]' },
];

const HOME_PATTERNS: readonly Rule[] = [
  { pattern: /(\/(?:Users|home))\/[^/\s"'`]+/g, replace: (_m, root) => `${root}/<user>` },
  { pattern: /([A-Za-z]:[\\/]+Users[\\/]+)[^\\/\s"'`]+/gi, replace: (_m, root) => `${root}<user>` },
];

/** Redacts identifiers and the home folder from free text. */
export function redactText(text: string, options: RedactOptions = {}): string {
  let out =
    text.length > MAX_REDACTED_STRING
      ? `${text.slice(0, MAX_REDACTED_STRING)}…(${text.length - MAX_REDACTED_STRING} more characters)`
      : text;
  const home = options.homeDir;
  if (home !== undefined && home.length > 1) {
    for (const form of new Set([home, home.replaceAll('\\', '/'), home.replaceAll('/', '\\')])) out = out.split(form).join('~');
  }
  for (const rule of HOME_PATTERNS) out = out.replace(rule.pattern, rule.replace as (m: string, ...g: string[]) => string);
  for (const rule of RULES) out = out.replace(rule.pattern, rule.replace as (m: string, ...g: string[]) => string);
  return out;
}

/** Field names whose value goes entirely, whatever it looks like. */
const SECRET_KEY =
  /^(password|passcode|passphrase|new_?password|old_?password|secret|token|auth|authorization|cookie|pair_?record|escrow_?bag|private_?key)$/i;
/** Field names that hold a phone's identity (kept as its last six characters) or a personal number (gone). */
const PHONE_ID_KEY = /^(udid|unique_?device_?id|ecid|unique_?chip_?id|phone_?id)$/i;
const PERSONAL_KEY =
  /^(serial|serial_?number|srnm|imei2?|international_?mobile_?equipment_?identity2?|meid|mobile_?equipment_?identifier|phone_?number|iccid|imsi|integrated_?circuit_?card_?identity|international_?mobile_?subscriber_?identity|wi_?fi_?address|bluetooth_?address|ethernet_?address)$/i;

/**
 * Redacts any JSON-like value for a log line: strings by `redactText`, fields by their names (secrets gone, phone ids
 * masked, personal numbers gone), errors as name, message, code, stack and cause. Bounded in depth, width and length;
 * never throws (cycles end as "[cycle]").
 */
export function redactValue(value: unknown, options: RedactOptions = {}): unknown {
  return walk(value, options, 0, new WeakSet());
}

function walk(value: unknown, options: RedactOptions, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactText(value, options);
  if (typeof value === 'bigint') return redactText(value.toString(), options);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return value;
  if (typeof value !== 'object') return `[${typeof value}]`;
  if (seen.has(value)) return '[cycle]';
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  seen.add(value);
  if (value instanceof Error) return walk(errorFields(value), options, depth + 1, seen);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((item) => walk(item, options, depth + 1, seen));
    if (value.length > MAX_ITEMS) items.push(`…(${value.length - MAX_ITEMS} more)`);
    return items;
  }
  const out: Record<string, unknown> = {};
  let count = 0;
  for (const [key, field] of Object.entries(value)) {
    if (count++ >= MAX_ITEMS) {
      out['…'] = 'more fields left out';
      break;
    }
    out[key] = redactField(key, field, options, depth, seen);
  }
  return out;
}

function redactField(key: string, field: unknown, options: RedactOptions, depth: number, seen: WeakSet<object>): unknown {
  if (field === undefined || field === null) return field;
  if (SECRET_KEY.test(key)) return '[redacted]';
  if (PERSONAL_KEY.test(key)) return `[${key}]`;
  if (PHONE_ID_KEY.test(key) && (typeof field === 'string' || typeof field === 'number' || typeof field === 'bigint')) {
    const text = typeof field === 'bigint' ? field.toString(16) : String(field);
    const lower = key.toLowerCase();
    const kind = lower.includes('ecid') || lower.includes('chip') ? 'ecid' : lower.includes('phone') ? 'phone' : 'udid';
    return masked(kind, text.replace(/^udid-/, ''));
  }
  return walk(field, options, depth + 1, seen);
}

function errorFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') fields.code = code;
  if (error.stack !== undefined) fields.stack = error.stack.split('\n').slice(0, 12).join('\n');
  if (error.cause !== undefined) fields.cause = error.cause;
  return fields;
}
