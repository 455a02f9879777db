import { z } from 'zod';

/** One firmware ipsw.me v4 lists for a device (docs/protocols/firmware.md#ipswme-catalog). */
export type IpswMeEntry = {
  productType: string;
  version: string;
  build: string;
  url: string;
  sha1: string | null;
  sha256: string | null;
  size: number | null;
  signed: boolean | null;
  releaseDate: string | null;
};

export type IpswMeBoard = { boardConfig: string; cpid: number | null; bdid: number | null };

export type IpswMeResult = { boards: IpswMeBoard[]; entries: IpswMeEntry[]; warnings: string[] };

const BoardSchema = z.object({ boardconfig: z.string().min(1), cpid: z.number().int().optional(), bdid: z.number().int().optional() });

const FirmwareSchema = z.object({
  identifier: z.string().optional(),
  version: z.string().min(1).max(64),
  buildid: z.string().min(1).max(64),
  url: z.string().regex(/^https?:\/\//),
  sha1sum: z.string().optional().nullable(),
  sha256sum: z.string().optional().nullable(),
  filesize: z.number().int().nonnegative().optional().nullable(),
  signed: z.boolean().optional().nullable(),
  releasedate: z.string().optional().nullable(),
});

const DeviceSchema = z.object({
  identifier: z.string(),
  boardconfig: z.string().optional(),
  cpid: z.number().int().optional(),
  bdid: z.number().int().optional(),
  boards: z.array(z.unknown()).optional(),
  firmwares: z.array(z.unknown()),
});

const hash = (value: string | null | undefined, length: number): string | null =>
  typeof value === 'string' && new RegExp(`^[0-9a-f]{${length}}$`, 'i').test(value) ? value.toLowerCase() : null;

/** ipsw.me's `/v4/device/<ProductType>` JSON → entries for that device, newest first as the service lists them. */
export function parseIpswMeDevice(json: unknown, productType: string): IpswMeResult {
  const device = DeviceSchema.safeParse(json);
  if (!device.success) return { boards: [], entries: [], warnings: ['ipsw.me sent an answer Lifeline does not understand.'] };
  if (device.data.identifier !== productType) {
    return {
      boards: [],
      entries: [],
      warnings: [`ipsw.me answered for ${device.data.identifier.slice(0, 32)} instead of ${productType}.`],
    };
  }
  const warnings: string[] = [];
  const boards: IpswMeBoard[] = [];
  for (const raw of device.data.boards ?? []) {
    const board = BoardSchema.safeParse(raw);
    if (board.success)
      boards.push({ boardConfig: board.data.boardconfig.toLowerCase(), cpid: board.data.cpid ?? null, bdid: board.data.bdid ?? null });
  }
  if (boards.length === 0 && device.data.boardconfig) {
    boards.push({ boardConfig: device.data.boardconfig.toLowerCase(), cpid: device.data.cpid ?? null, bdid: device.data.bdid ?? null });
  }
  const entries: IpswMeEntry[] = [];
  let skipped = 0;
  for (const raw of device.data.firmwares) {
    const firmware = FirmwareSchema.safeParse(raw);
    if (!firmware.success || (firmware.data.identifier !== undefined && firmware.data.identifier !== productType)) {
      skipped++;
      continue;
    }
    const f = firmware.data;
    entries.push({
      productType,
      version: f.version,
      build: f.buildid,
      url: f.url,
      sha1: hash(f.sha1sum, 40),
      sha256: hash(f.sha256sum, 64),
      size: f.filesize ?? null,
      signed: f.signed ?? null,
      releaseDate: f.releasedate ?? null,
    });
  }
  if (skipped > 0)
    warnings.push(`ipsw.me listed ${skipped} firmware entr${skipped === 1 ? 'y' : 'ies'} with missing or odd fields; skipped.`);
  return { boards, entries, warnings };
}
