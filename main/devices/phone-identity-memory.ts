import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { isUdid } from '../../common/phone-identity';
import { writeFileAtomic } from '../log/atomic-file';
import { log } from '../log/log';
import { ecidKey } from './phone-views';

/**
 * Phones before the A12 have a UDID that cannot be worked out from the ECID, and in recovery or DFU mode they tell only
 * their ECID. So each ECID ↔ UDID pair lockdown confirmed in normal mode is kept in the data folder: a phone seen once
 * started normally is known by its UDID (and so by its backups) when it next comes in recovery or DFU mode.
 */
export interface PhoneIdentities {
  udidOf(ecid: bigint): string | undefined;
  remember(ecid: bigint, udid: string): void;
}

const FILE_VERSION = 1;
/** Pairs kept; the ones seen longest ago go first. */
export const MAX_REMEMBERED_PHONES = 200;
/** Far more than MAX_REMEMBERED_PHONES pairs take: anything larger is not ours. */
const MAX_FILE_BYTES = 64 * 1024;

const PairSchema = z.object({ ecid: z.string().regex(/^[0-9A-F]{16}$/), udid: z.string().max(64).refine(isUdid) });
const FileSchema = z.object({ version: z.literal(FILE_VERSION), pairs: z.array(PairSchema).max(MAX_REMEMBERED_PHONES) });
type Pair = z.infer<typeof PairSchema>;

export class PhoneIdentityMemory implements PhoneIdentities {
  /** Oldest first. */
  private readonly pairs: Pair[];

  private constructor(
    readonly file: string,
    pairs: Pair[],
  ) {
    this.pairs = pairs;
  }

  /** Reads the file; a missing, oversized or unreadable one starts an empty memory (it is only a convenience). */
  static open(file: string): PhoneIdentityMemory {
    return new PhoneIdentityMemory(file, readPairs(file));
  }

  udidOf(ecid: bigint): string | undefined {
    const key = ecidKey(ecid);
    return this.pairs.find((pair) => pair.ecid === key)?.udid;
  }

  remember(ecid: bigint, udid: string): void {
    if (!isUdid(udid) || ecid < 0n || ecid >= 1n << 64n) return;
    const key = ecidKey(ecid);
    const at = this.pairs.findIndex((pair) => pair.ecid === key);
    if (at === this.pairs.length - 1 && this.pairs[at]?.udid === udid) return;
    if (at >= 0) this.pairs.splice(at, 1);
    this.pairs.push({ ecid: key, udid });
    this.pairs.splice(0, Math.max(0, this.pairs.length - MAX_REMEMBERED_PHONES));
    try {
      writeFileAtomic(this.file, JSON.stringify({ version: FILE_VERSION, pairs: this.pairs }));
    } catch (error) {
      log.warn('phone-identities.write-failed', { reason: error instanceof Error ? error.message : String(error) });
    }
  }
}

function readPairs(file: string): Pair[] {
  try {
    if (statSync(file).size > MAX_FILE_BYTES) return [];
    const parsed = FileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data.pairs : [];
  } catch {
    return [];
  }
}
