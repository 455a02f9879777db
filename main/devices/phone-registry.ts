import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Unsubscribe } from '../../common/api';
import { findModelByChip, findModelByProductType, hex, type DeviceModel } from '../../common/device-table';
import type { HostStatus, Phone, PhoneMode, PhoneModel, UsbmuxStatus } from '../../common/phone';
import { chipUdidOf, describeReportedIdentity, parseUdid } from '../../common/phone-identity';
import type { PhoneIdentities } from './phone-identity-memory';
import type { PhoneSource } from './phone-source';
import { appleUsbModeOf, isAppleVendor } from '../usb/apple-usb-ids';
import { parseIBootSerial, type DeviceSerial } from '../usb/iboot-serial';
import type { UsbBus, UsbDeviceHandle } from '../usb/usb-bus';
import type { UsbmuxListedDevice } from '../usbmux/usbmux-client';
import { ecidFromUdid, ecidKey, type LockdownFacts, type LockdownProbe, type UsbmuxDevice, type UsbmuxFeed } from './phone-views';
import { triage } from './triage';

export type PhoneRegistryOptions = {
  usb?: UsbBus;
  usbmux?: UsbmuxFeed;
  probe?: LockdownProbe;
  /** How long a card waits for a phone that went away (mode change re-enumeration, or unplug). */
  reconnectGraceMs?: number;
  /** Upper bound for one lockdown probe. */
  probeTimeoutMs?: number;
  /** ECID ↔ UDID pairs seen in normal mode, kept across runs (phones before the A12 tell only their ECID in recovery/DFU). */
  identities?: PhoneIdentities;
};

type UsbView = { handle: UsbDeviceHandle; mode: PhoneMode; serial: DeviceSerial | null };
type LockdownState = { state: 'pending' } | { state: 'done'; facts: LockdownFacts } | { state: 'failed' };

/** One physical phone, however many ways we currently see it. */
type PhoneRecord = {
  id: string;
  ecid?: bigint;
  udid?: string;
  /** USB port path: the only link between two enumerations of a phone that reports no ECID (WTF mode). */
  location?: string;
  usb?: UsbView;
  mux?: UsbmuxListedDevice;
  /** The phone reported a UDID / ECID no iPhone uses: listed under a hash of it, never probed, backed up or restored. */
  invalidIdentity?: true;
  lockdown?: LockdownState;
  probe?: AbortController;
  lastMode: PhoneMode;
  lastModel?: DeviceModel;
  goneTimer?: NodeJS.Timeout;
};

const DEFAULT_GRACE_MS = 20_000;
const DEFAULT_PROBE_TIMEOUT_MS = 15_000;
const NO_USB: HostStatus['usb'] = {
  state: 'unavailable',
  reason: 'not-configured',
  detail: 'USB access is not set up.',
  fix: 'Restart Lifeline.',
};
const NO_USBMUX: UsbmuxStatus = {
  state: 'unavailable',
  reason: 'not-configured',
  detail: 'usbmuxd access is not set up.',
  fix: 'Restart Lifeline.',
};

/**
 * Merges the USB view (recovery/DFU/normal enumerations), the usbmux view (normal mode) and the lockdown
 * view into one record per phone, keyed by ECID (or UDID until the ECID is known), so a phone that
 * changes mode stays the same card.
 */
export class PhoneRegistry implements PhoneSource {
  private readonly records = new Set<PhoneRecord>();
  private readonly emitter = new EventEmitter();
  private readonly stops: Unsubscribe[] = [];
  private readonly graceMs: number;
  private readonly probeTimeoutMs: number;
  private closed = false;

  private constructor(private readonly options: PhoneRegistryOptions) {
    this.graceMs = options.reconnectGraceMs ?? DEFAULT_GRACE_MS;
    this.probeTimeoutMs = options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  }

  static async start(options: PhoneRegistryOptions): Promise<PhoneRegistry> {
    const registry = new PhoneRegistry(options);
    await registry.attachSources();
    return registry;
  }

  list(): Phone[] {
    return [...this.records].map((record) => this.toPhone(record)).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The usbmuxd handle and UDID of a phone attached through usbmuxd right now (services such as backup talk to it). */
  usbmuxDeviceOf(phoneId: string): { deviceId: number; udid: string } | undefined {
    const record = [...this.records].find((r) => r.id === phoneId);
    if (!record?.mux || record.mux.udid === null || record.invalidIdentity) return undefined;
    return { deviceId: record.mux.deviceId, udid: record.mux.udid };
  }

  /**
   * The phone's UDID, to match its backups, also while it is away or in another mode: as seen, else from its chip and
   * ECID (A12 on), else as remembered from when it last started normally.
   */
  udidOf(phoneId: string): string | undefined {
    const record = [...this.records].find((r) => r.id === phoneId);
    if (!record || record.invalidIdentity) return undefined;
    if (record.udid !== undefined || record.ecid === undefined) return record.udid;
    const cpid = record.usb?.serial?.cpid ?? this.facts(record)?.cpid ?? record.lastModel?.cpid;
    return (cpid !== undefined ? chipUdidOf(cpid, record.ecid) : null) ?? this.options.identities?.udidOf(record.ecid);
  }

  /** The phone's current USB enumeration (recovery/DFU/normal), e.g. for iBoot commands in recovery (the coach). */
  usbDeviceOf(phoneId: string): UsbDeviceHandle | undefined {
    return [...this.records].find((r) => r.id === phoneId)?.usb?.handle;
  }

  hostStatus(): HostStatus {
    const usb = this.options.usb?.status() ?? NO_USB;
    return { usb, usbmux: this.options.usbmux?.status() ?? NO_USBMUX };
  }

  onChange(listener: () => void): Unsubscribe {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }

  onHostStatus(listener: (status: HostStatus) => void): Unsubscribe {
    this.emitter.on('host', listener);
    return () => this.emitter.off('host', listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const stop of this.stops.splice(0)) stop();
    for (const record of this.records) this.dropTimers(record);
    this.records.clear();
    this.options.usb?.close();
    await this.options.usbmux?.stop();
    this.emitter.removeAllListeners();
  }

  private async attachSources(): Promise<void> {
    const { usb, usbmux } = this.options;
    if (usb) {
      this.stops.push(usb.onConnect((handle) => this.usbConnected(handle)));
      this.stops.push(usb.onDisconnect((handle) => this.usbDisconnected(handle)));
      for (const handle of await usb.getDevices()) this.usbConnected(handle);
      this.emitter.emit('host', this.hostStatus());
    }
    if (usbmux) {
      this.stops.push(usbmux.onAttached((device) => this.muxAttached(device)));
      this.stops.push(usbmux.onDetached((deviceId) => this.muxDetached(deviceId)));
      this.stops.push(
        usbmux.onStatus(() => {
          this.emitter.emit('host', this.hostStatus());
          this.emitter.emit('change');
        }),
      );
    }
  }

  // ── USB view ──────────────────────────────────────────────────────────────

  private usbConnected(handle: UsbDeviceHandle): void {
    if (this.closed || !isAppleVendor(handle.vendorId)) return;
    const usbMode = appleUsbModeOf(handle.vendorId, handle.productId);
    if (usbMode === 'other') return;
    const mode: PhoneMode = usbMode;
    let serial: DeviceSerial | null = null;
    let udid: string | undefined;
    let ecid: bigint | undefined;
    let invalid = false;
    if (mode === 'normal') {
      udid = handle.serialNumber ? (parseUdid(handle.serialNumber) ?? undefined) : undefined;
      invalid = handle.serialNumber !== undefined && handle.serialNumber !== '' && udid === undefined;
      ecid = udid ? ecidFromUdid(udid) : undefined;
    } else {
      const parsed = parseIBootSerial(handle.serialNumber ?? '');
      serial = parsed.ok ? parsed.serial : null;
      invalid = serial?.invalidIdentity !== undefined;
      ecid = invalid ? undefined : serial?.ecid;
    }
    if (invalid) {
      const record = this.unidentified(describeReportedIdentity(handle.serialNumber));
      record.usb = { handle, mode, serial };
      record.location = handle.location;
      this.changed(record);
      return;
    }
    const record =
      this.find({ ecid, udid }) ??
      (ecid === undefined && udid === undefined ? this.findAwayAt(handle.location) : undefined) ??
      this.create({ ecid, udid });
    this.adopt(record, { ecid, udid });
    record.usb = { handle, mode, serial };
    record.location = handle.location;
    this.changed(record);
  }

  private usbDisconnected(handle: UsbDeviceHandle): void {
    const record = [...this.records].find((r) => r.usb?.handle === handle);
    if (!record) return;
    record.usb = undefined;
    this.changed(record);
  }

  // ── usbmux + lockdown views ───────────────────────────────────────────────

  private muxAttached(device: UsbmuxListedDevice): void {
    if (this.closed) return;
    if (device.udid === null) {
      const record = this.unidentified(device.reportedIdentity);
      record.mux = device;
      this.changed(record);
      return;
    }
    const udid = device.udid;
    const ecid = ecidFromUdid(udid);
    const record = this.find({ ecid, udid }) ?? this.create({ ecid, udid });
    this.adopt(record, { ecid, udid });
    record.mux = device;
    this.changed(record);
    this.startProbe(record, device);
  }

  private muxDetached(deviceId: number): void {
    const record = [...this.records].find((r) => r.mux?.deviceId === deviceId);
    if (!record) return;
    record.mux = undefined;
    record.probe?.abort();
    record.probe = undefined;
    this.changed(record);
  }

  private startProbe(record: PhoneRecord, device: UsbmuxDevice): void {
    const probe = this.options.probe;
    if (!probe) return;
    record.probe?.abort();
    const controller = new AbortController();
    record.probe = controller;
    record.lockdown = { state: 'pending' };
    const timer = setTimeout(() => controller.abort(), this.probeTimeoutMs);
    probe(device, controller.signal)
      .then(
        (facts): LockdownState => ({ state: 'done', facts }),
        (): LockdownState => ({ state: 'failed' }),
      )
      .then((outcome) => {
        clearTimeout(timer);
        if (this.closed || record.probe !== controller) return;
        record.probe = undefined;
        record.lockdown = outcome;
        if (outcome.state === 'done' && outcome.facts.invalidIdentity) record.invalidIdentity = true;
        else if (outcome.state === 'done' && outcome.facts.ecid !== undefined) {
          this.rekey(record, outcome.facts.ecid);
          // Only lockdown in normal mode vouches for the pair (its UniqueDeviceID matched the UDID usbmuxd lists); a
          // CPID-ECID UDID needs no memory.
          if (!outcome.facts.restoreMode && ecidFromUdid(device.udid) === undefined)
            this.options.identities?.remember(outcome.facts.ecid, device.udid);
        }
        this.changed(record);
      });
  }

  // ── identity ──────────────────────────────────────────────────────────────

  private find(keys: { ecid?: bigint | undefined; udid?: string | undefined }): PhoneRecord | undefined {
    for (const record of this.records) {
      if (keys.ecid !== undefined && record.ecid === keys.ecid) return record;
      if (keys.udid !== undefined && record.udid === keys.udid) return record;
    }
    return undefined;
  }

  /**
   * The record of a device with an invalid identity, keyed by a hash of what it reported (as describeReportedIdentity
   * puts it, so USB and usbmux sightings of one device meet).
   */
  private unidentified(reported: string): PhoneRecord {
    const key = `invalid-${createHash('sha256').update(reported).digest('hex').slice(0, 16)}`;
    const existing = [...this.records].find((r) => r.id === key);
    if (existing) return existing;
    const record: PhoneRecord = { id: key, lastMode: 'unknown', invalidIdentity: true };
    this.records.add(record);
    return record;
  }

  private findAwayAt(location: string): PhoneRecord | undefined {
    return [...this.records].find((r) => r.location === location && !r.usb && !r.mux);
  }

  private create(keys: { ecid?: bigint | undefined; udid?: string | undefined }): PhoneRecord {
    const record: PhoneRecord = { id: '', lastMode: 'unknown' };
    this.adopt(record, keys);
    this.records.add(record);
    return record;
  }

  private adopt(record: PhoneRecord, keys: { ecid?: bigint | undefined; udid?: string | undefined }): void {
    if (keys.ecid !== undefined) record.ecid = keys.ecid;
    if (keys.udid !== undefined) record.udid = keys.udid;
    if (!record.id || (record.ecid !== undefined && record.id !== ecidKey(record.ecid))) {
      record.id =
        record.ecid !== undefined
          ? ecidKey(record.ecid)
          : record.udid
            ? `udid-${record.udid}`
            : `usb-${Math.random().toString(36).slice(2, 10)}`;
    }
  }

  /** Lockdown revealed the ECID of a phone first seen by UDID: fold any other record of the same chip into it. */
  private rekey(record: PhoneRecord, ecid: bigint): void {
    const twin = [...this.records].find((r) => r !== record && r.ecid === ecid);
    if (twin) {
      record.usb ??= twin.usb;
      record.location ??= twin.location;
      record.lastModel ??= twin.lastModel;
      this.dropTimers(twin);
      this.records.delete(twin);
    }
    this.adopt(record, { ecid });
  }

  // ── presentation ──────────────────────────────────────────────────────────

  private changed(record: PhoneRecord): void {
    const present = record.usb !== undefined || record.mux !== undefined;
    if (present) {
      clearTimeout(record.goneTimer);
      record.goneTimer = undefined;
      record.lastMode = this.modeOf(record);
    } else if (!record.goneTimer) {
      record.goneTimer = setTimeout(() => {
        this.records.delete(record);
        this.emitter.emit('change');
      }, this.graceMs);
    }
    record.lastModel = this.modelOf(record) ?? record.lastModel;
    this.emitter.emit('change');
  }

  private dropTimers(record: PhoneRecord): void {
    clearTimeout(record.goneTimer);
    record.probe?.abort();
  }

  private modeOf(record: PhoneRecord): PhoneMode {
    if (record.usb && record.usb.mode !== 'normal') return record.usb.mode;
    // In restore mode the phone enumerates with its normal-mode product id; only restored's answer tells the modes apart.
    if (record.mux && this.facts(record)?.restoreMode) return 'restore';
    if (record.mux || record.usb) return 'normal';
    return 'unknown';
  }

  private facts(record: PhoneRecord): LockdownFacts | undefined {
    return record.lockdown?.state === 'done' ? record.lockdown.facts : undefined;
  }

  private modelOf(record: PhoneRecord): DeviceModel | undefined {
    const serial = record.usb?.serial;
    if (serial && serial.bdid !== undefined) return findModelByChip(serial.cpid, serial.bdid);
    const facts = this.facts(record);
    if (facts?.cpid !== undefined && facts.bdid !== undefined) {
      const byChip = findModelByChip(facts.cpid, facts.bdid);
      if (byChip) return byChip;
    }
    if (facts?.productType) return findModelByProductType(facts.productType, facts.boardConfig);
    return undefined;
  }

  private describeModel(record: PhoneRecord): PhoneModel {
    const model = record.lastModel;
    if (model) {
      return {
        name: model.name,
        productType: model.productType,
        boardConfig: model.boardConfig,
        cpid: model.cpid,
        bdid: model.bdid,
        buttons: model.buttons,
        known: true,
      };
    }
    const serial = record.usb?.serial;
    const facts = this.facts(record);
    const cpid = serial?.cpid ?? facts?.cpid ?? null;
    const bdid = serial?.bdid ?? facts?.bdid ?? null;
    const name =
      cpid !== null
        ? `Unknown Apple device (CPID ${hex(cpid)}${bdid !== null ? `, BDID ${hex(bdid, 2)}` : ''})`
        : facts?.productType
          ? `Unknown Apple device (${facts.productType})`
          : record.invalidIdentity
            ? 'Unidentified device'
            : this.modeOf(record) === 'normal'
              ? 'Apple device (identifying…)'
              : 'Unknown Apple device';
    return {
      name,
      productType: facts?.productType ?? null,
      boardConfig: facts?.boardConfig ?? null,
      cpid,
      bdid,
      buttons: null,
      known: false,
    };
  }

  private toPhone(record: PhoneRecord): Phone {
    const connected = record.usb !== undefined || record.mux !== undefined;
    const mode = connected ? this.modeOf(record) : record.lastMode;
    const facts = this.facts(record);
    const inNormalMode = mode === 'normal';
    const trusted = inNormalMode ? (facts?.trusted ?? null) : null;
    const passcodeSet = facts?.passcodeSet ?? null;
    const iosVersion = facts?.iosVersion ?? null;
    const usbmuxMissing = this.options.usbmux === undefined || this.options.usbmux.status().state === 'unavailable';
    const answered = record.lockdown?.state === 'done' || record.lockdown?.state === 'failed';
    const identifying =
      connected && inNormalMode && !answered && !usbmuxMissing && this.options.probe !== undefined && !record.invalidIdentity;
    return {
      id: record.id,
      mode,
      model: this.describeModel(record),
      iosVersion,
      buildVersion: facts?.buildVersion ?? null,
      deviceName: facts?.deviceName ?? null,
      connected,
      identifying,
      trusted,
      passcodeSet,
      triage: triage({
        invalidIdentity: record.invalidIdentity === true,
        mode,
        connected,
        checking: identifying,
        usbmuxMissing: inNormalMode && usbmuxMissing,
        iosVersion,
        unresponsive: inNormalMode && record.lockdown?.state === 'failed',
        trusted,
        passcodeSet,
        locked: facts?.locked ?? null,
        unlockedSinceBoot: facts?.unlockedSinceBoot ?? null,
      }),
    };
  }
}
