import {
  DEFAULT_PLIST_LIMITS,
  PLIST_VALUE_COST,
  PlistDecodeBudget,
  PlistError,
  PlistLimitError,
  PlistReal,
  PlistUid,
  isPlistDict,
  normaliseInteger,
  resolvePlistLimits,
  type PlistDict,
  type PlistLimits,
  type PlistValue,
} from './plist-value';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return safeCodePoint(Number.parseInt(name.slice(2), 16), whole);
    if (name.startsWith('#')) return safeCodePoint(Number.parseInt(name.slice(1), 10), whole);
    return ENTITIES[name] ?? whole;
  });
}

function safeCodePoint(code: number, fallback: string): string {
  return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : fallback;
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

type Tag = { name: string; closing: boolean; selfClosing: boolean; end: number };

/** Longest text accepted inside <integer>, <real> or <date>; real ones are a few dozen characters. */
const MAX_SCALAR_TEXT = 64;

/**
 * A small pull parser for the XML plist dialect. It is not a general XML parser: it accepts what
 * Apple, libplist and pymobiledevice3 write, and rejects anything else with a PlistError. XML has
 * no shared references, but values are charged to the same budget as binary plists (see PlistLimits).
 */
export function decodeXmlPlist(input: string | Uint8Array, limits: PlistLimits = {}): PlistValue {
  const size = typeof input === 'string' ? input.length : input.byteLength;
  const resolved = resolvePlistLimits(size, limits);
  const { maxBytes, maxDepth } = resolved;
  if (size > maxBytes) throw new PlistLimitError('maxBytes', `Plist of ${size} bytes exceeds the ${maxBytes}-byte limit`);
  let text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  // Old iOS emitted raw control characters inside strings; libimobiledevice blanks them before parsing.
  // eslint-disable-next-line no-control-regex
  text = text.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, ' ');

  let pos = 0;
  const budget = new PlistDecodeBudget(resolved, 'XML');

  const skipMisc = (): void => {
    for (;;) {
      while (pos < text.length && /\s/.test(text[pos]!)) pos++;
      if (text.startsWith('<?', pos)) pos = closeOf('?>');
      else if (text.startsWith('<!--', pos)) pos = closeOf('-->');
      else if (text.startsWith('<!', pos)) pos = closeOf('>');
      else return;
    }
  };
  const closeOf = (terminator: string): number => {
    const end = text.indexOf(terminator, pos);
    if (end < 0) throw new PlistError('XML plist: unterminated markup');
    return end + terminator.length;
  };
  const readTag = (): Tag => {
    skipMisc();
    if (text[pos] !== '<') throw new PlistError(`XML plist: expected a tag at offset ${pos}`);
    const end = text.indexOf('>', pos);
    if (end < 0) throw new PlistError('XML plist: unterminated tag');
    let body = text.slice(pos + 1, end).trim();
    const closing = body.startsWith('/');
    const selfClosing = body.endsWith('/');
    if (closing) body = body.slice(1);
    if (selfClosing) body = body.slice(0, -1);
    const name = /^\S*/.exec(body)![0];
    pos = end + 1;
    return { name, closing, selfClosing, end: pos };
  };
  const readText = (name: string): string => {
    const close = `</${name}>`;
    const end = text.indexOf(close, pos);
    if (end < 0) throw new PlistError(`XML plist: missing ${close}`);
    const raw = text.slice(pos, end);
    if (raw.includes('<')) throw new PlistError(`XML plist: unexpected markup inside <${name}>`);
    pos = end + close.length;
    return decodeEntities(raw);
  };

  const scalarText = (tag: Tag, name: string): string => {
    const raw = tag.selfClosing ? '' : readText(name).trim();
    if (raw.length > MAX_SCALAR_TEXT) throw new PlistError(`XML plist: <${name}> text too long`);
    return raw;
  };

  const parseValue = (tag: Tag, depth: number): PlistValue => {
    if (depth > maxDepth) throw new PlistLimitError('maxDepth', `XML plist nests deeper than ${maxDepth}`);
    if (tag.closing) throw new PlistError(`XML plist: unexpected </${tag.name}>`);
    switch (tag.name) {
      case 'dict': {
        budget.charge(PLIST_VALUE_COST.dict);
        const out: PlistDict = {};
        if (tag.selfClosing) return out;
        for (;;) {
          const next = readTag();
          if (next.closing && next.name === 'dict') return out;
          if (next.name !== 'key' || next.closing) throw new PlistError('XML plist: expected <key> in <dict>');
          const key = next.selfClosing ? '' : readText('key');
          budget.charge(PLIST_VALUE_COST.string + key.length * 2);
          const value = parseValue(readTag(), depth + 1);
          Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
        }
      }
      case 'array': {
        budget.charge(PLIST_VALUE_COST.array);
        const out: PlistValue[] = [];
        if (tag.selfClosing) return out;
        for (;;) {
          const next = readTag();
          if (next.closing && next.name === 'array') return out;
          out.push(parseValue(next, depth + 1));
        }
      }
      case 'string': {
        const value = tag.selfClosing ? '' : readText('string');
        budget.charge(PLIST_VALUE_COST.string + value.length * 2);
        return value;
      }
      case 'integer': {
        budget.charge(0);
        const raw = scalarText(tag, 'integer');
        if (!/^[+-]?(0x[0-9a-fA-F]+|[0-9]+)$/.test(raw)) throw new PlistError(`XML plist: bad integer "${raw.slice(0, 40)}"`);
        const negative = raw.startsWith('-');
        const digits = raw.replace(/^[+-]/, '');
        const magnitude = BigInt(digits);
        if (magnitude >= 2n ** 64n) throw new PlistError('XML plist: integer out of range');
        return normaliseInteger(negative ? -magnitude : magnitude);
      }
      case 'real': {
        budget.charge(0);
        const raw = scalarText(tag, 'real');
        const value =
          raw === 'nan'
            ? NaN
            : raw === '+infinity' || raw === 'inf'
              ? Infinity
              : raw === '-infinity' || raw === '-inf'
                ? -Infinity
                : Number(raw);
        if (raw === '' || (Number.isNaN(value) && raw !== 'nan')) throw new PlistError(`XML plist: bad real "${raw.slice(0, 40)}"`);
        return value;
      }
      case 'true':
      case 'false':
        budget.charge(0);
        if (!tag.selfClosing) {
          const close = readTag();
          if (!close.closing || close.name !== tag.name) throw new PlistError(`XML plist: bad <${tag.name}>`);
        }
        return tag.name === 'true';
      case 'date': {
        budget.charge(PLIST_VALUE_COST.boxed);
        const raw = scalarText(tag, 'date');
        const date = new Date(raw);
        if (Number.isNaN(date.getTime())) throw new PlistError(`XML plist: bad date "${raw.slice(0, 40)}"`);
        return date;
      }
      case 'data': {
        const raw = tag.selfClosing ? '' : readText('data');
        const compact = raw.replace(/\s+/g, '');
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) throw new PlistError('XML plist: bad base64 in <data>');
        budget.charge(PLIST_VALUE_COST.data + Math.ceil((compact.length * 3) / 4));
        return Buffer.from(compact, 'base64');
      }
      default:
        throw new PlistError(`XML plist: unknown element <${tag.name.slice(0, 40)}>`);
    }
  };

  const first = readTag();
  let value: PlistValue;
  if (first.name === 'plist' && !first.closing) {
    if (first.selfClosing) throw new PlistError('XML plist: empty <plist/>');
    value = parseValue(readTag(), 0);
    const close = readTag();
    if (!close.closing || close.name !== 'plist') throw new PlistError('XML plist: expected </plist>');
  } else {
    value = parseValue(first, 0);
  }
  return value;
}

const XML_HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
  '<plist version="1.0">\n';

function formatReal(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return '+infinity';
  if (value === -Infinity) return '-infinity';
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

export function encodeXmlPlist(root: PlistValue): Buffer {
  const lines: string[] = [];
  const write = (value: PlistValue, indent: string, depth: number): void => {
    if (depth > DEFAULT_PLIST_LIMITS.maxDepth) throw new PlistError('Plist nests too deep to encode');
    if (value === null || value === undefined) throw new PlistError('Plists cannot hold null');
    if (typeof value === 'string') lines.push(`${indent}<string>${escapeText(value)}</string>`);
    else if (typeof value === 'boolean') lines.push(`${indent}<${value ? 'true' : 'false'}/>`);
    else if (typeof value === 'bigint') lines.push(`${indent}<integer>${value.toString()}</integer>`);
    else if (typeof value === 'number') {
      lines.push(Number.isInteger(value) ? `${indent}<integer>${value}</integer>` : `${indent}<real>${formatReal(value)}</real>`);
    } else if (value instanceof PlistReal) lines.push(`${indent}<real>${formatReal(value.value)}</real>`);
    else if (value instanceof PlistUid) {
      // XML has no UID type; CoreFoundation writes it as a one-key dictionary.
      lines.push(`${indent}<dict>`, `${indent}\t<key>CF$UID</key>`, `${indent}\t<integer>${value.value}</integer>`, `${indent}</dict>`);
    } else if (value instanceof Date) {
      lines.push(`${indent}<date>${value.toISOString().replace(/\.\d{3}Z$/, 'Z')}</date>`);
    } else if (value instanceof Uint8Array) {
      const b64 = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
      if (b64.length === 0) lines.push(`${indent}<data></data>`);
      else {
        lines.push(`${indent}<data>`);
        for (let i = 0; i < b64.length; i += 68) lines.push(`${indent}${b64.slice(i, i + 68)}`);
        lines.push(`${indent}</data>`);
      }
    } else if (Array.isArray(value)) {
      if (value.length === 0) lines.push(`${indent}<array/>`);
      else {
        lines.push(`${indent}<array>`);
        for (const item of value) write(item, `${indent}\t`, depth + 1);
        lines.push(`${indent}</array>`);
      }
    } else if (isPlistDict(value)) {
      const keys = Object.keys(value).filter((k) => value[k] !== undefined);
      if (keys.length === 0) lines.push(`${indent}<dict/>`);
      else {
        lines.push(`${indent}<dict>`);
        for (const key of keys) {
          lines.push(`${indent}\t<key>${escapeText(key)}</key>`);
          write(value[key]!, `${indent}\t`, depth + 1);
        }
        lines.push(`${indent}</dict>`);
      }
    } else {
      throw new PlistError('Unsupported value in plist');
    }
  };
  write(root, '', 0);
  return Buffer.from(`${XML_HEADER}${lines.join('\n')}\n</plist>\n`, 'utf8');
}
