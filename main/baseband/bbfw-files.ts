/**
 * Which file inside a .bbfw each signed element lives in, and which files go to the phone
 * (docs/protocols/baseband.md#element-to-file).
 */
const ELEMENT_FILES: Readonly<Record<string, string>> = {
  RamPSI: 'psi_ram.fls',
  FlashPSI: 'psi_flash.fls',
  eDBL: 'dbl.mbn',
  RestoreDBL: 'restoredbl.mbn',
  DBL: 'dbl.mbn',
  ENANDPRG: 'ENPRG.mbn',
  RestoreSBL1: 'restoresbl1.mbn',
  SBL1: 'sbl1.mbn',
  RestorePSI: 'restorepsi.bin',
  PSI: 'psi_ram.bin',
  RestorePSI2: 'restorepsi2.bin',
  PSI2: 'psi_ram2.bin',
  Misc: 'multi_image.mbn',
};

/** docs/protocols/baseband.md#element-to-file: the iPhone 17 family's modem has its own table. */
export const MAV25_BB_CHIP_ID = 0x1f30e1;
const MAV25_ELEMENT_FILES: Readonly<Record<string, string>> = {
  Misc: 'multi_image.mbn',
  RestoreSBL1: 'restorexbl_sc.elf',
  SBL1: 'xbl_sc.elf',
  TME: 'signed_firmware_soc_view.elf',
};

export const BB_TICKET_FILE = 'bbticket.der';

export function fileForElement(element: string, bbChipId: number): string | null {
  const table = bbChipId === MAV25_BB_CHIP_ID ? MAV25_ELEMENT_FILES : ELEMENT_FILES;
  return Object.hasOwn(table, element) ? table[element]! : null;
}

/** Files that are neither signed nor one of these kinds are dropped from what the phone receives. */
export function isFirmwareFile(name: string): boolean {
  return /\.(fls|mbn|elf|bin)$/.test(name);
}

/** Every element whose signed file is `file` (`dbl.mbn` serves both eDBL and DBL). */
export function elementsForFile(file: string, bbChipId: number): string[] {
  const table = bbChipId === MAV25_BB_CHIP_ID ? MAV25_ELEMENT_FILES : ELEMENT_FILES;
  return Object.entries(table)
    .filter(([, name]) => name === file)
    .map(([element]) => element);
}
