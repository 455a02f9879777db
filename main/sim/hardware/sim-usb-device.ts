/**
 * USB personalities of a simulated phone behind the app's UsbDeviceHandle (docs/protocols/irecv.md).
 * Each enumeration is a new object with a new address; a detached object refuses every further request.
 */
import type { DeviceModel } from '../../../common/device-table';
import { APPLE_VENDOR_ID, DFU_PRODUCT_ID, RECOVERY_PRODUCT_ID, WTF_PRODUCT_ID, normalProductIdFor } from '../../usb/apple-usb-ids';
import { DFU_SUFFIX_SIZE } from '../../irecv/dfu-suffix';
import {
  DFU_PACKET_SIZE,
  DFU_STATUS_LENGTH,
  DFU_STATUS_STATE_OFFSET,
  DfuClassRequest,
  DfuState,
  DfuStatus,
  IBootRequest,
  IrecvStringIndex,
  MAX_IBOOT_COMMAND_BYTES,
  RECOVERY_BULK_IN_ENDPOINT,
  RECOVERY_BULK_OUT_ENDPOINT,
} from '../../irecv/irecv-wire';
import { formatIBootSerial, formatNonceString } from '../../usb/iboot-serial';
import {
  UsbDeviceError,
  type UsbControlSetup,
  type UsbDeviceHandle,
  type UsbInTransferResult,
  type UsbOutTransferResult,
} from '../../usb/usb-bus';
import { LANGID_EN_US, UsbDescriptorType, UsbRequest } from '../../usb/usb-standard-requests';
import type { IBootShell } from './iboot-shell';
import { SimUpload } from './sim-upload';

export type SimUsbKind = 'normal' | 'recovery' | 'dfu' | 'wtf';

export type SimUsbPersonality = {
  kind: SimUsbKind;
  productId: number;
  manufacturerName: string;
  productName: string;
  serialNumber: string;
  /** String descriptor index 1 in recovery/DFU: `NONC:… SNON:…` (docs/protocols/irecv.md#nonces). */
  nonceString?: string;
};

/** SecureROM tags per chip (docs/protocols/irecv.md#securerom-tags, from gaster/ipwndfu). A12+ values are unpublished: the sim invents none. */
export const SECUREROM_TAGS: ReadonlyMap<number, string> = new Map([
  [0x8947, 'iBoot-1458.2'],
  [0x8950, 'iBoot-1145.3'],
  [0x8955, 'iBoot-1145.3.3'],
  [0x8960, 'iBoot-1704.10'],
  [0x7000, 'iBoot-1992.0.0.1.19'],
  [0x7001, 'iBoot-1991.0.0.2.16'],
  [0x7002, 'iBoot-2098.0.0.2.4'],
  [0x8000, 'iBoot-2234.0.0.3.3'],
  [0x8003, 'iBoot-2234.0.0.2.22'],
  [0x8001, 'iBoot-2481.0.0.2.1'],
  [0x8002, 'iBoot-2651.0.0.1.31'],
  [0x8004, 'iBoot-2651.0.0.3.3'],
  [0x8010, 'iBoot-2696.0.0.1.33'],
  [0x8011, 'iBoot-3135.0.0.2.3'],
  [0x8012, 'iBoot-3401.0.0.1.16'],
  [0x8015, 'iBoot-3332.0.0.1.23'],
]);

/**
 * Chips without a published SecureROM tag (A12 and later) still present SRTG in DFU; the sim uses this obviously
 * synthetic value so "SRTG present = SecureROM answered" holds for every model.
 */
export const UNPUBLISHED_SRTG = 'iBoot-0.0.0.0.0';

export type SimChipFacts = { cprv: number; cpfm: number; scep: number; ibflDfu: number; ibflRecovery: number; sdom?: number };

/** Plausible per-chip values modelled on the real strings in docs/protocols/irecv.md#serial-string. */
export function chipFactsFor(model: DeviceModel): SimChipFacts {
  const cpid = model.cpid;
  const img4 = cpid >= 0x8960 || cpid === 0x7000 || cpid === 0x7001 || cpid === 0x7002 || (cpid >= 0x8000 && cpid < 0x8900);
  // The recovery-mode SDOM prefix appears on the A9 and later (idevicerestore#301, docs/protocols/irecv.md#serial-string).
  const sdom = cpid >= 0x8000 && cpid < 0x8900 ? 1 : undefined;
  const facts: SimChipFacts = {
    cprv: img4 ? 0x11 : 0x15,
    cpfm: 0x03,
    scep: 0x01,
    ibflDfu: img4 ? 0x3c : 0x00,
    ibflRecovery: img4 ? 0x3c : 0x01,
  };
  if (sdom !== undefined) facts.sdom = sdom;
  return facts;
}

export type PersonalityIdentity = {
  model: DeviceModel;
  ecid: bigint;
  serialNumber: string;
  imei?: string;
  udid: string;
  apNonce?: Uint8Array;
  sepNonce?: Uint8Array;
};

export function normalPersonality(identity: PersonalityIdentity): SimUsbPersonality {
  const type = identity.model.productType;
  const productName = type.startsWith('iPad') ? 'iPad' : type.startsWith('iPod') ? 'iPod' : 'iPhone';
  return {
    kind: 'normal',
    productId: normalProductIdFor(type),
    manufacturerName: 'Apple Inc.',
    productName,
    serialNumber: identity.udid,
  };
}

/** The chip identity both SecureROM and iBoot put at the front of the serial string (docs/protocols/irecv.md#serial-string). */
function chipFields(identity: PersonalityIdentity) {
  const facts = chipFactsFor(identity.model);
  return {
    facts,
    chip: {
      cpid: identity.model.cpid,
      cprv: facts.cprv,
      cpfm: facts.cpfm,
      scep: facts.scep,
      bdid: identity.model.bdid ?? 0,
      ecid: identity.ecid,
    },
  };
}

export function recoveryPersonality(identity: PersonalityIdentity): SimUsbPersonality {
  const { facts, chip } = chipFields(identity);
  const fields = {
    form: 'recovery' as const,
    ...chip,
    ibfl: facts.ibflRecovery,
    srnm: identity.serialNumber,
    ...(facts.sdom !== undefined ? { sdom: facts.sdom } : {}),
    ...(identity.imei !== undefined ? { imei: identity.imei } : {}),
  };
  return {
    kind: 'recovery',
    productId: RECOVERY_PRODUCT_ID,
    manufacturerName: 'Apple Inc.',
    productName: 'Apple Mobile Device (Recovery Mode)',
    serialNumber: formatIBootSerial(fields),
    nonceString: formatNonceString(noncesOf(identity)),
  };
}

export function dfuPersonality(identity: PersonalityIdentity, kind: 'dfu' | 'wtf' = 'dfu'): SimUsbPersonality {
  const { facts, chip } = chipFields(identity);
  const srtg = SECUREROM_TAGS.get(identity.model.cpid) ?? UNPUBLISHED_SRTG;
  return {
    kind,
    productId: kind === 'wtf' ? WTF_PRODUCT_ID : DFU_PRODUCT_ID,
    manufacturerName: 'Apple Inc.',
    productName: kind === 'wtf' ? 'Apple Mobile Device (WTF Mode)' : 'Apple Mobile Device (DFU Mode)',
    serialNumber: formatIBootSerial({
      form: 'dfu',
      ...chip,
      ibfl: facts.ibflDfu,
      srtg,
    }),
    nonceString: formatNonceString(noncesOf(identity)),
  };
}

export function noncesOf(identity: PersonalityIdentity): { nonc: Uint8Array; snon: Uint8Array } {
  // Deterministic per ECID so tests can compare; 32-byte ApNonce from the A10 on, 20 bytes before (docs/protocols/irecv.md#nonces).
  const apSize = identity.model.cpid >= 0x8010 && identity.model.cpid < 0x8900 ? 32 : 20;
  const seed = Buffer.from(identity.ecid.toString(16).padStart(16, '0'), 'hex');
  const fill = (size: number, salt: number): Uint8Array =>
    Uint8Array.from({ length: size }, (_, i) => ((seed[i % seed.length] ?? 0) ^ (i * 37 + salt)) & 0xff);
  return { nonc: identity.apNonce ?? fill(apSize, 0x5a), snon: identity.sepNonce ?? fill(20, 0xa5) };
}

/** Uploads beyond this are refused: the sim keeps what it receives in memory. */
export const MAX_SIM_UPLOAD_BYTES = 64 * 1024 * 1024;

export type SimUsbDeviceInit = {
  personality: SimUsbPersonality;
  address: number;
  location: string;
  /** The iBoot command line (recovery personality only). */
  shell?: IBootShell;
  /** Told when an upload starts (recovery 0x41, first DFU block); the record fills as data arrives. */
  onUpload?: (upload: SimUpload) => void;
  /** USB port reset of this enumeration (libusb_reset_device): the phone decides how it re-enumerates. */
  onReset?: () => void;
};

export class SimUsbDevice implements UsbDeviceHandle {
  readonly id: string;
  readonly location: string;
  readonly address: number;
  readonly vendorId = APPLE_VENDOR_ID;
  readonly productId: number;
  readonly serialNumber: string;
  readonly productName: string;
  readonly manufacturerName: string;
  readonly personality: SimUsbPersonality;
  readonly shell: IBootShell | undefined;
  #opened = false;
  #attached = true;
  #configuration = 0;
  readonly #claimed = new Set<number>();
  readonly #altSettings = new Map<number, number>();
  #dfuState: number = DfuState.Idle;
  readonly #received: Buffer[] = [];
  #receivedBytes = 0;
  #upload: SimUpload | null = null;
  #dfuBlocks = 0;
  #dfuLastValue = -1;
  #dfuSeparateSuffix = false;
  readonly #onUpload: ((upload: SimUpload) => void) | undefined;
  readonly #onReset: (() => void) | undefined;

  constructor(init: SimUsbDeviceInit) {
    this.personality = init.personality;
    this.address = init.address;
    this.location = init.location;
    this.id = `${init.location}@${init.address}`;
    this.productId = init.personality.productId;
    this.serialNumber = init.personality.serialNumber;
    this.productName = init.personality.productName;
    this.manufacturerName = init.personality.manufacturerName;
    this.shell = init.shell;
    this.#onUpload = init.onUpload;
    this.#onReset = init.onReset;
  }

  get kind(): SimUsbKind {
    return this.personality.kind;
  }

  get opened(): boolean {
    return this.#opened;
  }

  get attached(): boolean {
    return this.#attached;
  }

  /** Bytes uploaded over bulk (recovery) or DFU_DNLOAD (DFU) since the last reset of the upload. */
  get receivedBytes(): number {
    return this.#receivedBytes;
  }

  receivedData(): Buffer {
    return Buffer.concat(this.#received);
  }

  /** Called by the phone when this personality leaves the bus (re-enumeration, unplug, power off). */
  detach(): void {
    this.#attached = false;
    this.#opened = false;
    this.#claimed.clear();
  }

  async open(): Promise<void> {
    this.#requireAttached();
    this.#opened = true;
  }

  /** USB port reset: the device leaves the bus and comes back as a new enumeration (decided by the phone). */
  async reset(): Promise<void> {
    this.#requireOpen();
    this.#onReset?.();
  }

  async close(): Promise<void> {
    this.#opened = false;
    this.#claimed.clear();
  }

  /** The selected configuration (0 = unconfigured); it outlives a host closing the device, as on hardware. */
  get configurationValue(): number {
    return this.#configuration;
  }

  async selectConfiguration(configurationValue: number): Promise<void> {
    this.#requireOpen();
    if (configurationValue !== 1) throw new UsbDeviceError(`configuration ${configurationValue} does not exist`, 'not-found');
    if (this.#claimed.size > 0 && this.#configuration !== configurationValue) {
      throw new UsbDeviceError('interfaces are claimed', 'invalid-state');
    }
    this.#configuration = configurationValue;
  }

  async claimInterface(interfaceNumber: number): Promise<void> {
    this.#requireOpen();
    if (this.#configuration !== 1) throw new UsbDeviceError('no configuration selected', 'invalid-state');
    if (!this.#interfaces().includes(interfaceNumber)) {
      throw new UsbDeviceError(`interface ${interfaceNumber} does not exist`, 'not-found');
    }
    this.#claimed.add(interfaceNumber);
  }

  async releaseInterface(interfaceNumber: number): Promise<void> {
    this.#requireOpen();
    this.#claimed.delete(interfaceNumber);
  }

  async controlTransferIn(setup: UsbControlSetup, length: number): Promise<UsbInTransferResult> {
    this.#requireOpen();
    const reply = this.#controlIn(setup, length);
    if (reply === null) return { status: 'stall' };
    const bytes = reply.subarray(0, Math.max(0, Math.min(length, reply.length)));
    return { status: 'ok', data: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  }

  async controlTransferOut(setup: UsbControlSetup, data?: Uint8Array): Promise<UsbOutTransferResult> {
    this.#requireOpen();
    const payload = data ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.alloc(0);
    return this.#controlOut(setup, payload) ? { status: 'ok', bytesWritten: payload.length } : { status: 'stall', bytesWritten: 0 };
  }

  async transferIn(endpointNumber: number, length: number): Promise<UsbInTransferResult> {
    this.#requireOpen();
    // iBoot console output is on interface 1 alt 1, bulk IN 0x81 (docs/protocols/irecv.md#interfaces-and-endpoints).
    if (
      this.kind !== 'recovery' ||
      endpointNumber !== RECOVERY_BULK_IN_ENDPOINT ||
      this.#altSettings.get(1) !== 1 ||
      !this.#claimed.has(1)
    ) {
      throw new UsbDeviceError(`endpoint ${endpointNumber} IN not found on any claimed interface`, 'not-found');
    }
    const text = Buffer.from(`${(this.shell?.transcript.at(-1) ?? '').slice(0, Math.max(0, length - 2))}\r\n`);
    return { status: 'ok', data: new DataView(text.buffer, text.byteOffset, text.byteLength) };
  }

  async transferOut(endpointNumber: number, data: Uint8Array): Promise<UsbOutTransferResult> {
    this.#requireOpen();
    if (this.kind !== 'recovery' || endpointNumber !== RECOVERY_BULK_OUT_ENDPOINT || !this.#claimed.has(0)) {
      // DFU is control-only: bulk transfers fail there (docs/protocols/irecv.md#interfaces-and-endpoints).
      throw new UsbDeviceError(`endpoint ${endpointNumber} OUT not found on any claimed interface`, 'not-found');
    }
    if (!this.#accept(data)) return { status: 'stall', bytesWritten: 0 };
    return { status: 'ok', bytesWritten: data.byteLength };
  }

  #accept(data: Uint8Array): boolean {
    if (this.#receivedBytes + data.byteLength > MAX_SIM_UPLOAD_BYTES) return false;
    const copy = Buffer.from(data);
    this.#received.push(copy);
    this.#receivedBytes += data.byteLength;
    this.#upload?.append(copy);
    return true;
  }

  #resetUpload(): void {
    this.#received.length = 0;
    this.#receivedBytes = 0;
    this.#upload = null;
  }

  #startUpload(mode: 'dfu' | 'recovery'): void {
    this.#resetUpload();
    this.#upload = new SimUpload(mode);
    this.#dfuBlocks = 0;
    this.#dfuLastValue = -1;
    this.#dfuSeparateSuffix = false;
    this.#onUpload?.(this.#upload);
  }

  #requireAttached(): void {
    if (!this.#attached) throw new UsbDeviceError('the device has left the bus', 'disconnected');
  }

  #requireOpen(): void {
    this.#requireAttached();
    if (!this.#opened) throw new UsbDeviceError('the device is not open', 'not-open');
  }

  #interfaces(): number[] {
    return this.kind === 'recovery' ? [0, 1] : [0];
  }

  #controlIn(setup: UsbControlSetup, length: number): Buffer | null {
    if (length < 0 || length > 0xffff) return null;
    if (setup.requestType === 'standard' && setup.recipient === 'device') {
      if (setup.request === UsbRequest.GetDescriptor) return this.#descriptor(setup.value >> 8, setup.value & 0xff);
      if (setup.request === UsbRequest.GetConfiguration) return Buffer.from([this.#configuration]);
      return null;
    }
    if (setup.requestType === 'vendor' && setup.recipient === 'device' && setup.request === IBootRequest.Command) {
      // getenv / getret answer (docs/protocols/irecv.md#iboot-commands).
      if (this.kind !== 'recovery' || !this.shell) return null;
      return this.shell.response();
    }
    if (setup.requestType === 'class' && setup.recipient === 'interface' && this.#isDfuLike()) {
      switch (setup.request) {
        case DfuClassRequest.GetStatus: {
          // After the zero-length DNLOAD the device reports MANIFEST, then MANIFEST-WAIT-RESET until reset.
          if (this.#dfuState === DfuState.ManifestSync) this.#dfuState = DfuState.Manifest;
          else if (this.#dfuState === DfuState.Manifest) this.#dfuState = DfuState.ManifestWaitReset;
          const status = Buffer.alloc(DFU_STATUS_LENGTH);
          status[0] = this.#dfuState === DfuState.Error ? DfuStatus.ErrUnknown : DfuStatus.Ok;
          status[DFU_STATUS_STATE_OFFSET] = this.#dfuState;
          return status;
        }
        case DfuClassRequest.GetState:
          return Buffer.from([this.#dfuState]);
        case DfuClassRequest.Upload:
          return Buffer.alloc(0);
        default:
          return null;
      }
    }
    return null;
  }

  #controlOut(setup: UsbControlSetup, payload: Buffer): boolean {
    if (setup.requestType === 'standard' && setup.recipient === 'device' && setup.request === UsbRequest.SetConfiguration) {
      if (setup.value !== 0 && setup.value !== 1) return false;
      this.#configuration = setup.value;
      return true;
    }
    if (setup.requestType === 'standard' && setup.recipient === 'interface' && setup.request === UsbRequest.SetInterface) {
      if (!this.#interfaces().includes(setup.index)) return false;
      const maxAlt = this.kind === 'recovery' && setup.index === 1 ? 1 : 0;
      if (setup.value > maxAlt) return false;
      this.#altSettings.set(setup.index, setup.value);
      return true;
    }
    if (
      setup.requestType === 'vendor' &&
      setup.recipient === 'device' &&
      (setup.request === IBootRequest.Command || setup.request === IBootRequest.CommandNoAnswer)
    ) {
      return this.#iBootCommand(payload);
    }
    if (setup.requestType === 'vendor' && setup.recipient === 'interface' && setup.request === IBootRequest.StartUpload) {
      // "start upload" before a bulk upload in recovery (docs/protocols/irecv.md#recovery-upload).
      if (this.kind !== 'recovery') return false;
      this.#startUpload('recovery');
      return true;
    }
    if (setup.requestType === 'class' && setup.recipient === 'interface' && this.#isDfuLike()) {
      switch (setup.request) {
        case DfuClassRequest.Dnload:
          if (this.#dfuState !== DfuState.Idle && this.#dfuState !== DfuState.DnloadIdle) return false;
          if (payload.length > DFU_PACKET_SIZE + DFU_SUFFIX_SIZE) {
            this.#dfuState = DfuState.Error;
            return false;
          }
          if (payload.length === 0) {
            this.#upload?.finishDfu({ blocks: this.#dfuBlocks, separateSuffix: this.#dfuSeparateSuffix, finishValue: setup.value });
            this.#dfuState = DfuState.ManifestSync;
            return true;
          }
          if (this.#dfuState === DfuState.Idle || !this.#upload) this.#startUpload('dfu');
          // libirecovery 1.0.0 sends a suffix that does not fit as its own DNLOAD with the same wValue (docs/protocols/irecv.md#observed-from-the-debian-tools item 1).
          if (payload.length === DFU_SUFFIX_SIZE && setup.value === this.#dfuLastValue) this.#dfuSeparateSuffix = true;
          this.#dfuLastValue = setup.value;
          this.#dfuBlocks++;
          if (!this.#accept(payload)) {
            this.#dfuState = DfuState.Error;
            return false;
          }
          this.#dfuState = DfuState.DnloadIdle;
          return true;
        case DfuClassRequest.ClrStatus:
        case DfuClassRequest.Abort:
          this.#dfuState = DfuState.Idle;
          return true;
        default:
          return false;
      }
    }
    return false;
  }

  #isDfuLike(): boolean {
    return this.kind === 'dfu' || this.kind === 'wtf';
  }

  #iBootCommand(payload: Buffer): boolean {
    if (this.kind !== 'recovery' || !this.shell) return false;
    const nul = payload.indexOf(0);
    const body = nul === -1 ? payload : payload.subarray(0, nul);
    if (body.length > MAX_IBOOT_COMMAND_BYTES) return false;
    // Unknown commands are still acknowledged on the wire; the shell records "not found".
    this.shell.run(body.toString('latin1'));
    return true;
  }

  #descriptor(type: number, index: number): Buffer | null {
    if (type === UsbDescriptorType.Device) return this.#deviceDescriptor();
    if (type === UsbDescriptorType.Configuration && index === 0) return this.#configDescriptor();
    if (type === UsbDescriptorType.String) return this.#stringDescriptor(index);
    return null;
  }

  #deviceDescriptor(): Buffer {
    const d = Buffer.alloc(18);
    d.writeUInt8(18, 0);
    d.writeUInt8(1, 1);
    d.writeUInt16LE(0x0200, 2);
    d.writeUInt8(64, 7);
    d.writeUInt16LE(this.vendorId, 8);
    d.writeUInt16LE(this.productId, 10);
    d.writeUInt16LE(0, 12);
    const normal = this.kind === 'normal';
    d.writeUInt8(normal ? 1 : IrecvStringIndex.Manufacturer, 14);
    d.writeUInt8(normal ? 2 : IrecvStringIndex.Product, 15);
    d.writeUInt8(normal ? 3 : IrecvStringIndex.Serial, 16);
    d.writeUInt8(1, 17);
    return d;
  }

  #configDescriptor(): Buffer {
    const parts: Buffer[] = [];
    const iface = (num: number, alt: number, endpoints: number, cls: number, sub: number, proto: number): Buffer =>
      Buffer.from([9, 4, num, alt, endpoints, cls, sub, proto, 0]);
    const bulk = (address: number, size: number): Buffer => Buffer.from([7, 5, address, 2, size & 0xff, size >> 8, 0]);
    if (this.kind === 'recovery') {
      parts.push(iface(0, 0, 1, 0xff, 0xff, 0), bulk(RECOVERY_BULK_OUT_ENDPOINT, 512));
      parts.push(iface(1, 0, 0, 0xff, 0xff, 0), iface(1, 1, 1, 0xff, 0xff, 0), bulk(0x80 | RECOVERY_BULK_IN_ENDPOINT, 512));
    } else if (this.#isDfuLike()) {
      // DFU interface + functional descriptor: can download, 0x800 transfer size, DFU 1.1.
      parts.push(iface(0, 0, 0, 0xfe, 0x01, 0x02), Buffer.from([9, 0x21, 0x0b, 0xff, 0x00, 0x00, 0x08, 0x10, 0x01]));
    } else {
      // usbmux interface (vendor class 0xFF, subclass 0xFE, protocol 2).
      parts.push(iface(0, 0, 2, 0xff, 0xfe, 0x02), bulk(0x04, 512), bulk(0x85, 512));
    }
    const body = Buffer.concat(parts);
    const header = Buffer.from([9, 2, 0, 0, this.#interfaces().length, 1, 0, 0x80, 250]);
    header.writeUInt16LE(9 + body.length, 2);
    return Buffer.concat([header, body]);
  }

  #stringDescriptor(index: number): Buffer | null {
    if (index === 0) return Buffer.from([4, UsbDescriptorType.String, LANGID_EN_US & 0xff, LANGID_EN_US >> 8]);
    let text: string | undefined;
    if (this.kind === 'normal') {
      text = index === 1 ? this.manufacturerName : index === 2 ? this.productName : index === 3 ? this.serialNumber : undefined;
    } else if (index === IrecvStringIndex.Nonce) text = this.personality.nonceString ?? '';
    else if (index === IrecvStringIndex.Manufacturer) text = this.manufacturerName;
    else if (index === IrecvStringIndex.Product) text = this.productName;
    else if (index === IrecvStringIndex.Serial) text = this.serialNumber;
    if (text === undefined) return null;
    const utf16 = Buffer.from(text.slice(0, 126), 'utf16le');
    return Buffer.concat([Buffer.from([utf16.length + 2, 3]), utf16]);
  }
}
