/**
 * What a phone in DFU / recovery says about itself: the iSerialNumber device-info string (docs/protocols/irecv.md#serial-string)
 * and the nonce string at string descriptor index 1 (docs/protocols/irecv.md#nonces), mapped to a model through the device table.
 */
import { findModelByChip, type DeviceModel } from '../../common/device-table';
import {
  APPLE_VENDOR_ID,
  DFU_PRODUCT_ID,
  KIS_PRODUCT_ID,
  PORT_DFU_PRODUCT_ID,
  WTF_PRODUCT_ID,
  isRecoveryProductId,
} from '../usb/apple-usb-ids';
import { parseIBootSerial, type DeviceSerial } from '../usb/iboot-serial';
import type { UsbDeviceHandle } from '../usb/usb-bus';

export type IrecvMode = 'dfu' | 'wtf' | 'recovery' | 'port-dfu' | 'kis';

export type IrecvDeviceInfo = {
  mode: IrecvMode;
  productId: number;
  cpid: number;
  bdid?: number;
  ecid?: bigint;
  cprv?: number;
  cpfm?: number;
  scep?: number;
  ibfl?: number;
  srtg?: string;
  srnm?: string;
  imei?: string;
  apNonce?: Uint8Array;
  sepNonce?: Uint8Array;
  /** The raw device-info string, for logs (contains the ECID: mask before showing). */
  serialString: string;
  model?: DeviceModel;
  /** An identity field in the serial string is malformed (see DeviceSerial.invalidIdentity): never restore this device. */
  invalidIdentity?: string;
};

/** libirecovery's product ids (docs/protocols/irecv.md#opening-and-reconnecting step 1). */
export function irecvModeOf(vendorId: number, productId: number): IrecvMode | null {
  if (vendorId !== APPLE_VENDOR_ID) return null;
  if (productId === DFU_PRODUCT_ID) return 'dfu';
  if (productId === WTF_PRODUCT_ID) return 'wtf';
  if (isRecoveryProductId(productId)) return 'recovery';
  if (productId === PORT_DFU_PRODUCT_ID) return 'port-dfu';
  if (productId === KIS_PRODUCT_ID) return 'kis';
  return null;
}

/** Device info from the enumeration-time serial string alone (no transfer); null when it is not a DFU/recovery device. */
export function deviceInfoFromSerial(device: Pick<UsbDeviceHandle, 'vendorId' | 'productId' | 'serialNumber'>): IrecvDeviceInfo | null {
  const mode = irecvModeOf(device.vendorId, device.productId);
  if (!mode) return null;
  const serialString = device.serialNumber ?? '';
  const parsed = parseIBootSerial(serialString);
  const serial: Partial<DeviceSerial> = parsed.ok ? parsed.serial : {};
  const info: IrecvDeviceInfo = { mode, productId: device.productId, cpid: serial.cpid ?? 0x8900, serialString };
  if (serial.bdid !== undefined) info.bdid = serial.bdid;
  if (serial.ecid !== undefined) info.ecid = serial.ecid;
  if (serial.cprv !== undefined) info.cprv = serial.cprv;
  if (serial.cpfm !== undefined) info.cpfm = serial.cpfm;
  if (serial.scep !== undefined) info.scep = serial.scep;
  if (serial.ibfl !== undefined) info.ibfl = serial.ibfl;
  if (serial.srtg !== undefined) info.srtg = serial.srtg;
  if (serial.srnm !== undefined) info.srnm = serial.srnm;
  if (serial.imei !== undefined) info.imei = serial.imei;
  if (serial.invalidIdentity !== undefined) info.invalidIdentity = serial.invalidIdentity;
  // Older firmware put the nonces in the serial string itself.
  if (serial.nonc !== undefined) info.apNonce = serial.nonc;
  if (serial.snon !== undefined) info.sepNonce = serial.snon;
  if (info.bdid !== undefined) {
    const model = findModelByChip(info.cpid, info.bdid);
    if (model) info.model = model;
  }
  return info;
}

/** Adds NONC / SNON from the index-1 string; Port-DFU nonces are byte-reversed (docs/protocols/irecv.md#nonces). */
export function withNonces(info: IrecvDeviceInfo, nonceString: string): IrecvDeviceInfo {
  const parsed = parseIBootSerial(nonceString);
  if (!parsed.ok) return info;
  const next = { ...info };
  const fix = (nonce: Uint8Array): Uint8Array => (info.mode === 'port-dfu' ? Uint8Array.from(nonce).reverse() : nonce);
  if (parsed.serial.nonc) next.apNonce = fix(parsed.serial.nonc);
  if (parsed.serial.snon) next.sepNonce = fix(parsed.serial.snon);
  return next;
}

/** A USB string descriptor body (after bLength/bDescriptorType) as text; bounded by the descriptor's own length. */
export function decodeStringDescriptor(bytes: Uint8Array): string {
  if (bytes.length < 2 || bytes[1] !== 3) return '';
  const length = Math.min(bytes[0] ?? 0, bytes.length);
  const body = Buffer.from(bytes.buffer, bytes.byteOffset + 2, Math.max(0, length - 2) & ~1);
  return body.toString('utf16le');
}
