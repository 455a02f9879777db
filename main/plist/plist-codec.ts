import { decodeBinaryPlist, encodeBinaryPlist, isBinaryPlist } from './binary-plist';
import { decodeXmlPlist, encodeXmlPlist } from './xml-plist';
import type { PlistLimits, PlistValue } from './plist-value';

export { encodeBinaryPlist, encodeXmlPlist };
export {
  DEFAULT_PLIST_LIMITS,
  OUTPUT_BYTES_ALLOWANCE,
  OUTPUT_BYTES_PER_INPUT_BYTE,
  PlistError,
  PlistLimitError,
  defaultMaxOutputBytes,
  resolvePlistLimits,
  type PlistLimits,
} from './plist-value';

export type PlistFormat = 'xml' | 'binary';

/** Decodes either encoding (docs/protocols/plist.md#encodings: receivers must accept both). */
export function decodePlist(bytes: Uint8Array, limits: PlistLimits = {}): PlistValue {
  return isBinaryPlist(bytes) ? decodeBinaryPlist(bytes, limits) : decodeXmlPlist(bytes, limits);
}

export function encodePlist(value: PlistValue, format: PlistFormat): Buffer {
  return format === 'binary' ? encodeBinaryPlist(value) : encodeXmlPlist(value);
}
