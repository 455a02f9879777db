import rows from './devices.json';

export type ButtonFamily = 'home' | 'volume-down-side' | 'volume-side';

/** One hardware board of an Apple device (one row of devices.json). */
export type DeviceModel = {
  productType: string;
  name: string;
  boardConfig: string;
  cpid: number;
  /** null where no board id is published yet (provisional rows). */
  bdid: number | null;
  soc: string;
  year: number;
  buttons: ButtonFamily;
  maxIos: string;
  notes?: string;
};

type DeviceRow = {
  productType: string;
  name: string;
  boardConfig: string;
  cpid: string;
  bdid: string | null;
  soc: string;
  year: number;
  buttons: string;
  maxIos: string;
  notes?: string;
};

function isButtonFamily(value: string): value is ButtonFamily {
  return value === 'home' || value === 'volume-down-side' || value === 'volume-side';
}

function toModel(row: DeviceRow): DeviceModel {
  if (!isButtonFamily(row.buttons)) throw new Error(`devices.json: unknown button family ${row.buttons}`);
  const model: DeviceModel = {
    productType: row.productType,
    name: row.name,
    boardConfig: row.boardConfig,
    cpid: Number.parseInt(row.cpid, 16),
    bdid: row.bdid === null ? null : Number.parseInt(row.bdid, 16),
    soc: row.soc,
    year: row.year,
    buttons: row.buttons,
    maxIos: row.maxIos,
  };
  if (row.notes !== undefined) model.notes = row.notes;
  return model;
}

export const DEVICE_MODELS: readonly DeviceModel[] = Object.freeze((rows as DeviceRow[]).map(toModel));

/** The exact board from the chip and board ids a phone reports in recovery/DFU (never BDID alone). */
export function findModelByChip(cpid: number, bdid: number): DeviceModel | undefined {
  return DEVICE_MODELS.find((m) => m.cpid === cpid && m.bdid === bdid);
}

/** Normal mode: ProductType plus the board config (HardwareModel) tells the two A9 boards apart. */
export function findModelByProductType(productType: string, boardConfig?: string): DeviceModel | undefined {
  const candidates = DEVICE_MODELS.filter((m) => m.productType === productType);
  if (boardConfig !== undefined) {
    const board = boardConfig.toLowerCase();
    const exact = candidates.find((m) => m.boardConfig === board);
    if (exact) return exact;
  }
  return candidates[0];
}

export function hex(value: number, width = 4): string {
  return `0x${value.toString(16).toUpperCase().padStart(width, '0')}`;
}
