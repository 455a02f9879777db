/** Apple USB vendor and product ids (docs/protocols/irecv.md#product-ids). */

export const APPLE_VENDOR_ID = 0x05ac;

export const DFU_PRODUCT_ID = 0x1227;
/** S5L8900 only (original iPhone, iPhone 3G, iPod touch 1). */
export const WTF_PRODUCT_ID = 0x1222;
export const RECOVERY_PRODUCT_IDS = [0x1280, 0x1281, 0x1282, 0x1283] as const;
/** The recovery PID seen in practice on iPhones. */
export const RECOVERY_PRODUCT_ID = 0x1281;
export const NORMAL_PRODUCT_ID_MIN = 0x1290;
export const NORMAL_PRODUCT_ID_MAX = 0x12af;
/** Normal-mode PID of the iPhone 5 and every later iPhone (usb.ids). */
export const IPHONE5_AND_LATER_NORMAL_PRODUCT_ID = 0x12a8;
export const PORT_DFU_PRODUCT_ID = 0xf014;
export const KIS_PRODUCT_ID = 0x1881;

export type AppleUsbMode = 'dfu' | 'wtf' | 'recovery' | 'normal' | 'other';

export type AppleUsbKind = {
  mode: AppleUsbMode;
  /** Short name for the UI. */
  name: string;
};

const OTHER_NAMES: ReadonlyMap<number, string> = new Map([
  [PORT_DFU_PRODUCT_ID, 'Port DFU (Mac USB-C port controller)'],
  [KIS_PRODUCT_ID, 'DFU via debug USB (KIS)'],
  [0x1338, 'checkra1n DFU stage'],
  [0x4141, 'pongoOS'],
  [0x1901, 'Apple silicon Mac in restore mode'],
  [0x1902, 'Apple silicon Mac in restore mode'],
  [0x1903, 'Apple silicon Mac in restore mode'],
  [0x1904, 'Apple silicon Mac in restore mode'],
  [0x1905, 'Apple silicon Mac in restore mode'],
  [0x8600, 'T2 / iBridge'],
]);

export function isAppleVendor(vendorId: number): boolean {
  return vendorId === APPLE_VENDOR_ID;
}

export function isRecoveryProductId(productId: number): boolean {
  return productId >= 0x1280 && productId <= 0x1283;
}

export function isNormalProductId(productId: number): boolean {
  return productId >= NORMAL_PRODUCT_ID_MIN && productId <= NORMAL_PRODUCT_ID_MAX;
}

/** The mode an Apple device is in, from its product id alone. Non-Apple vendors are 'other'. */
export function appleUsbModeOf(vendorId: number, productId: number): AppleUsbMode {
  if (!isAppleVendor(vendorId)) return 'other';
  if (productId === DFU_PRODUCT_ID) return 'dfu';
  if (productId === WTF_PRODUCT_ID) return 'wtf';
  if (isRecoveryProductId(productId)) return 'recovery';
  if (isNormalProductId(productId)) return 'normal';
  return 'other';
}

/** Mode plus a UI name; unknown Apple PIDs are named with their hex id. */
export function describeAppleUsb(vendorId: number, productId: number): AppleUsbKind {
  const mode = appleUsbModeOf(vendorId, productId);
  const pid = productId.toString(16).toUpperCase().padStart(4, '0');
  switch (mode) {
    case 'dfu':
      return { mode, name: 'DFU mode' };
    case 'wtf':
      return { mode, name: 'WTF mode (first-generation DFU)' };
    case 'recovery':
      return { mode, name: 'Recovery mode' };
    case 'normal':
      return { mode, name: 'Started up normally' };
    case 'other': {
      if (!isAppleVendor(vendorId)) return { mode, name: 'Not an Apple device' };
      return { mode, name: OTHER_NAMES.get(productId) ?? `Apple device (product id 0x${pid})` };
    }
  }
}

/**
 * Normal-mode product id for a ProductType (usb.ids via docs/protocols/irecv.md#product-ids). Approximate for early iPods/iPads:
 * never key a model on the normal-mode PID — ask lockdown.
 */
export function normalProductIdFor(productType: string): number {
  const match = /^(iPhone|iPod|iPad)(\d+),(\d+)$/.exec(productType);
  if (!match) return IPHONE5_AND_LATER_NORMAL_PRODUCT_ID;
  const family = match[1];
  const major = Number(match[2]);
  const minor = Number(match[3]);
  if (family === 'iPhone') {
    if (major >= 5) return IPHONE5_AND_LATER_NORMAL_PRODUCT_ID;
    if (major === 1) return minor === 1 ? 0x1290 : 0x1292;
    if (major === 2) return 0x1294;
    if (major === 3) return minor === 3 ? 0x129c : 0x1297;
    return 0x12a0; // iPhone4,1 (4S)
  }
  if (family === 'iPod') {
    if (major === 1) return 0x1291;
    if (major === 2) return 0x1293;
    if (major === 3) return 0x1299;
    if (major === 4) return 0x129e;
    return 0x12aa;
  }
  if (major === 1) return 0x129a;
  if (major === 2) return 0x12a9;
  if (major === 3) return 0x12a4;
  return 0x12ab;
}
