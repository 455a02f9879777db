import { PASSCODE_ENTERED_EVENT } from './services/mobilebackup2';
import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { DeviceModel } from '../../common/device-table';
import type { PlistDict, PlistValue } from '../plist/plist-value';
import { LOCKDOWN_SERVICE_PORT, LockdownError } from '../lockdown/lockdown-wire';
import type { LockdownErrorName } from '../lockdown/lockdown-wire';
import { generatePairRecord, generateRsaKeyPair } from '../lockdown/pair-record';
import type { PairRecord, RsaKeyPairPem } from '../lockdown/pair-record';
import { deviceSecureContext, upgradeToDeviceTls } from '../lockdown/tls-options';
import type { TlsIdentity } from '../lockdown/tls-options';
import { INSECURE_NOTIFICATION_PROXY_SERVICE, MOBILEBACKUP2_SERVICE, MOBILEBACKUP_SERVICE } from '../lockdown/service-names';
import { IPHONE5_AND_LATER_NORMAL_PRODUCT_ID } from '../usb/apple-usb-ids';
import { PhoneHardware } from './hardware/phone-hardware';
import type { PhoneMode } from './hardware/phone-hardware';
import { FaultPlan } from './faults';
import type { FaultSettings } from './faults';
import { createDuplexPair } from './duplex-pair';
import { Lockdownd, type LockdowndPhone } from './lockdownd';
import type { PairedHost, TrustDialogAnswer } from './paired-host';
import { practiceIpswSpec, restoreFirmwareOf, type RestoreFirmware } from './restore/restore-firmware';
import { RestoreRamdisk, simBasebandOf, type RestoreResult } from './restore/restore-ramdisk';
import type { RestoreRecord } from './restore/restore-record';
import { zipOnlyBasebandCheck, type BasebandCheck } from './restore/restore-session';
import type { SyntheticIpswSpec } from './synthetic-ipsw';
import { PRE_SESSION_KEYS, PRE_SESSION_SINGLE_KEYS, defaultDomainValues, domainValues, valueAt } from './lockdown-values';
import type { LockdownValueSource } from './lockdown-values';
import { derivePhoneIdentity } from './phone-identity';
import type { PhoneIdentityValues } from './phone-identity';
import { parseScenario, scenarioModel } from './scenario';
import type { Scenario, ScenarioInput } from './scenario';
import { USER_DATA_ERASED_EVENT, type CreateSimServices, type SimService, type SimServicePhone } from './sim-service';
import type { UsbmuxPhone } from './usbmuxd-daemon';

export type VirtualIphoneOptions = {
  /** Services besides lockdownd (H2's createSimServices). None when absent. */
  createServices?: CreateSimServices;
  /** Reuse a device key (tests that create many phones); generated when absent. */
  deviceKey?: RsaKeyPairPem;
  faults?: FaultSettings;
};

/** Emitted on `events` with the RestoreResult when a restore ramdisk run ends. */
export const RESTORE_ENDED_EVENT = 'restore-ended';
/** Emitted on `events` when the person chose "From Mac or PC" in the setup assistant. */
export const RESTORE_FROM_COMPUTER_CHOSEN_EVENT = 'restore-from-computer-chosen';
const MAX_KEPT_RESTORES = 16;
const PRACTICE_OS_BYTES = 4 * 1024 * 1024;

// Services a locked phone refuses unless the host proves itself with the escrow bag.
const ESCROW_SERVICES = new Set([MOBILEBACKUP2_SERVICE, MOBILEBACKUP_SERVICE]);
const SERVICES_WITHOUT_SESSION = new Set([INSECURE_NOTIFICATION_PROXY_SERVICE]);
const SERVICE_PORT_TTL_MS = 60_000;

type ServicePort = { service: SimService; host: PairedHost | null; timer: NodeJS.Timeout };

/** One simulated iPhone: identity, lockdown state, services and hardware, as the fake usbmuxd sees it. */
export class VirtualIphone implements SimServicePhone, UsbmuxPhone, LockdowndPhone {
  readonly udid: string;
  readonly scenario: Scenario;
  readonly model: DeviceModel;
  readonly identity: PhoneIdentityValues;
  readonly hardware: PhoneHardware;
  readonly faults: FaultPlan;
  readonly events = new EventEmitter();
  readonly devicePublicKeyPem: string;
  readonly devicePrivateKeyPem: string;
  private readonly pairedHosts = new Map<string, PairedHost>();
  private readonly services: Map<string, SimService>;
  private readonly servicePorts = new Map<number, ServicePort>();
  private readonly lockdownd: Lockdownd;
  private readonly overrides = new Map<string, PlistValue>();
  private readonly otherIdentities = new Map<'reissued' | 'impostor', Promise<TlsIdentity>>();
  private trustAnswer: TrustDialogAnswer;
  private visible = false;
  private activeSessions = 0;
  private unplugTimer: NodeJS.Timeout | undefined;
  private readonly onHardwareChange = (): void => this.updateVisibility();
  private ramdisk: RestoreRamdisk | null = null;
  private firmware: RestoreFirmware | null = null;
  /** What each host did in each restore, oldest first (bounded). */
  readonly restores: RestoreRecord[] = [];
  /** The modem's check of a BasebandData answer (the baseband module plugs its ticket check in here). */
  basebandCheck: BasebandCheck = zipOnlyBasebandCheck;

  static async create(input: ScenarioInput | Scenario = {}, options: VirtualIphoneOptions = {}): Promise<VirtualIphone> {
    const scenario = parseScenario(input);
    const deviceKey = options.deviceKey ?? (await generateRsaKeyPair());
    return new VirtualIphone(scenario, deviceKey, options);
  }

  private constructor(scenario: Scenario, deviceKey: RsaKeyPairPem, options: VirtualIphoneOptions) {
    this.events.setMaxListeners(100);
    this.scenario = structuredClone(scenario);
    this.model = scenarioModel(scenario);
    this.identity = derivePhoneIdentity(scenario, this.model);
    this.udid = this.identity.udid;
    this.devicePublicKeyPem = deviceKey.publicKeyPem;
    this.devicePrivateKeyPem = deviceKey.privateKeyPem;
    this.trustAnswer = scenario.trustDialog;
    this.faults = new FaultPlan(options.faults);
    this.hardware = new PhoneHardware({
      identity: {
        model: this.model,
        ecid: this.identity.ecid,
        serialNumber: this.identity.serialNumber,
        imei: this.identity.imei,
        udid: this.udid,
      },
      initialMode: scenario.mode satisfies PhoneMode,
      timeFactor: scenario.timeFactor,
    });
    this.hardware.on('mode', (mode: PhoneMode, previous: PhoneMode) => {
      if (mode !== 'normal') this.closeServicePorts();
      this.ramdisk?.dispose();
      this.ramdisk = mode === 'restore' ? this.bootRamdisk() : null;
      this.events.emit('mode', mode, previous);
      this.onHardwareChange();
    });
    this.hardware.on('plugged', (plugged: boolean) => {
      this.events.emit('plugged', plugged);
      this.onHardwareChange();
    });
    this.hardware.on('boot-image', (record: { command: string; verdict: { ok: boolean } }) => {
      // The cable is pulled once iBEC is running (fault unplugAt 'boot-chain').
      if (this.faults.restore.unplugAt === 'boot-chain' && record.command === 'go' && record.verdict.ok) this.hardware.unplug();
    });
    this.faults.on('change', () => this.armUnplugTimer());
    this.armUnplugTimer();
    this.lockdownd = new Lockdownd(this);
    this.services = options.createServices ? options.createServices(this) : new Map();
    this.visible = this.usbVisible();
  }

  // ---- usbmuxd side ----

  usbVisible(): boolean {
    // The restore ramdisk shows on usbmuxd like a normal-mode phone (docs/protocols/irecv.md#product-ids, docs/protocols/boot-chain.md#dfu-to-restore-ramdisk step 16).
    return (this.hardware.mode === 'normal' || this.hardware.mode === 'restore') && this.hardware.plugged;
  }

  usbProductId(): number {
    return IPHONE5_AND_LATER_NORMAL_PRODUCT_ID;
  }

  unplug(): void {
    this.hardware.unplug();
  }

  /** iOS restarts (the end of a restore from backup): off the bus, then back in normal mode. */
  reboot(): void {
    this.hardware.reboot();
  }

  openPort(port: number): Duplex | null {
    if (!this.usbVisible() || this.faults.refusePort.has(port)) return null;
    if (this.hardware.mode === 'restore') return this.ramdisk?.openPort(port) ?? null;
    if (port === LOCKDOWN_SERVICE_PORT) {
      const [hostEnd, deviceEnd] = createDuplexPair();
      this.lockdownd.serve(deviceEnd);
      return hostEnd;
    }
    const entry = this.servicePorts.get(port);
    if (!entry || this.faults.refuseService.has(entry.service.name)) return null;
    // One connection per StartService, like lockdownd's one-shot service listeners.
    this.servicePorts.delete(port);
    clearTimeout(entry.timer);
    const [hostEnd, deviceEnd] = createDuplexPair();
    deviceEnd.on('error', () => undefined);
    if (this.faults.stallService.has(entry.service.name)) {
      deviceEnd.resume(); // swallow everything, answer nothing
      return hostEnd;
    }
    const serve = (stream: Duplex): void => {
      try {
        entry.service.serve(stream);
      } catch {
        stream.destroy();
      }
    };
    const host = entry.host;
    if (!entry.service.ssl || !host) serve(deviceEnd);
    else if (this.faults.presentCertificate === 'paired') serve(this.serviceTls(deviceEnd, this.pairedIdentity(host)));
    else {
      // The host's ClientHello waits in deviceEnd's buffer while the other certificate is made.
      this.tlsIdentity(host).then(
        (identity) => serve(this.serviceTls(deviceEnd, identity)),
        () => deviceEnd.destroy(),
      );
    }
    return hostEnd;
  }

  private serviceTls(stream: Duplex, identity: TlsIdentity): Duplex {
    const tls = upgradeToDeviceTls(stream, deviceSecureContext(identity));
    tls.on('error', () => tls.destroy());
    return tls;
  }

  private pairedIdentity(host: PairedHost): TlsIdentity {
    return { certificatePem: host.deviceCertificate, privateKeyPem: this.devicePrivateKeyPem };
  }

  /** The certificate and key this phone presents to a paired host now (fault `presentCertificate`). */
  tlsIdentity(host: PairedHost): Promise<TlsIdentity> {
    const kind = this.faults.presentCertificate;
    if (kind === 'paired') return Promise.resolve(this.pairedIdentity(host));
    let identity = this.otherIdentities.get(kind);
    if (!identity) {
      identity = (async (): Promise<TlsIdentity> => {
        const key =
          kind === 'reissued'
            ? { publicKeyPem: this.devicePublicKeyPem, privateKeyPem: this.devicePrivateKeyPem }
            : await generateRsaKeyPair();
        const record = await generatePairRecord({ devicePublicKeyPem: key.publicKeyPem });
        return { certificatePem: record.DeviceCertificate, privateKeyPem: key.privateKeyPem };
      })();
      this.otherIdentities.set(kind, identity);
    }
    return identity;
  }

  // ---- restore side ----

  /** The firmware a restore of this phone uses (the synthetic IPSW a test wrote); default: the practice IPSW. */
  restoreWith(spec: SyntheticIpswSpec): void {
    this.firmware = restoreFirmwareOf(spec);
  }

  private restoreFirmware(): RestoreFirmware | null {
    if (!this.firmware) {
      const spec = practiceIpswSpec(this.model.productType, PRACTICE_OS_BYTES);
      this.firmware = spec ? restoreFirmwareOf(spec) : null;
    }
    return this.firmware;
  }

  private bootRamdisk(): RestoreRamdisk {
    const ramdisk = new RestoreRamdisk({
      hardware: this.hardware,
      model: this.model,
      serialNumber: this.identity.serialNumber,
      faults: this.faults,
      firmware: this.restoreFirmware(),
      basebandCheck: (request, firmware) => this.basebandCheck(request, firmware),
      baseband: simBasebandOf(this.identity.ecid, this.identity.imei),
      unplug: () => this.hardware.unplug(),
      onEnded: (result) => this.restoreEnded(result),
    });
    if (this.restores.length >= MAX_KEPT_RESTORES) this.restores.shift();
    this.restores.push(ramdisk.record);
    return ramdisk;
  }

  /** After an erase the phone boots like a new one; an update keeps everything. */
  private restoreEnded(result: RestoreResult): void {
    if (result.version !== null) {
      this.scenario.ios = result.version;
      if (result.build !== null) this.scenario.build = result.build;
    }
    if (result.wiped) this.eraseUserData();
    this.events.emit(RESTORE_ENDED_EVENT, result);
  }

  private eraseUserData(): void {
    const scenario = this.scenario;
    scenario.passcodeSet = false;
    scenario.locked = false;
    scenario.unlockedSinceBoot = true;
    scenario.activated = false;
    scenario.setupDone = false;
    scenario.deviceName = 'iPhone';
    scenario.backupEncryption = false;
    delete scenario.backupPassword;
    this.overrides.clear();
    for (const hostId of [...this.pairedHosts.keys()]) this.removePairedHost(hostId);
    this.events.emit(USER_DATA_ERASED_EVENT);
  }

  // ---- lockdown side ----

  private valueSource(): LockdownValueSource {
    return {
      scenario: this.scenario,
      model: this.model,
      identity: this.identity,
      devicePublicKeyPem: this.devicePublicKeyPem,
      trustedHostAttached: this.activeSessions > 0 || this.pairedHosts.size > 0,
    };
  }

  /** Whole domain (undefined domain = default). Before a session only the whitelisted default keys. */
  lockdownDomain(domain: string | undefined, inSession = true): PlistDict | undefined {
    if (!inSession) {
      if (domain !== undefined) return undefined;
      const all = this.lockdownDomain(undefined, true) ?? {};
      return Object.fromEntries(Object.entries(all).filter(([key]) => PRE_SESSION_KEYS.has(key)));
    }
    const base = domain === undefined ? defaultDomainValues(this.valueSource()) : domainValues(domain, this.valueSource());
    const prefix = `${domain ?? ''}\0`;
    let merged = base;
    for (const [compound, value] of this.overrides) {
      if (!compound.startsWith(prefix)) continue;
      merged = { ...(merged ?? {}), [compound.slice(prefix.length)]: value };
    }
    return merged;
  }

  lockdownValue(domain: string | undefined, key: string, inSession = true): PlistValue | undefined {
    if (!inSession && (domain !== undefined || !(PRE_SESSION_KEYS.has(key) || PRE_SESSION_SINGLE_KEYS.has(key)))) return undefined;
    return valueAt(this.lockdownDomain(domain, true), key);
  }

  setLockdownValue(domain: string | undefined, key: string, value: PlistValue): boolean {
    const immutable = domain === undefined && ['UniqueDeviceID', 'ProductType', 'SerialNumber', 'DevicePublicKey'].includes(key);
    if (immutable) return false;
    if (domain === undefined && key === 'DeviceName' && typeof value === 'string') this.scenario.deviceName = value;
    else this.overrides.set(`${domain ?? ''}\0${key}`, value);
    return true;
  }

  pairedHost(hostId: string): PairedHost | undefined {
    return this.pairedHosts.get(hostId);
  }

  pairedHostIds(): string[] {
    return [...this.pairedHosts.keys()];
  }

  addPairedHost(host: PairedHost): void {
    this.pairedHosts.set(host.hostId, host);
    this.events.emit('paired', host.hostId);
  }

  removePairedHost(hostId: string): boolean {
    const existed = this.pairedHosts.delete(hostId);
    if (existed) this.events.emit('unpaired', hostId);
    return existed;
  }

  sessionStarted(): void {
    this.activeSessions++;
  }

  sessionEnded(): void {
    this.activeSessions = Math.max(0, this.activeSessions - 1);
  }

  trustDialogAnswer(): TrustDialogAnswer {
    return this.trustAnswer;
  }

  /** The user taps Trust / Don't Trust (or dismisses: pending). */
  answerTrustDialog(answer: TrustDialogAnswer): void {
    this.trustAnswer = answer;
  }

  /**
   * The person goes through the setup assistant of an erased phone up to "Transfer Your Apps & Data" and chooses
   * "From Mac or PC": on the way the phone is activated (Activation Lock asks for the Apple ID when Find My was on),
   * and it stays in the setup assistant, waiting for a computer to put a backup back (docs/protocols/lockdown.md#after-an-erase).
   */
  chooseRestoreFromComputer(): void {
    this.scenario.activated = true;
    this.events.emit(RESTORE_FROM_COMPUTER_CHOSEN_EVENT);
  }

  unlock(): void {
    this.scenario.locked = false;
    this.scenario.unlockedSinceBoot = true;
  }

  /** The user types the passcode on the phone (also what an iOS ≥ 16.1 backup waits for). */
  enterPasscode(): void {
    this.unlock();
    this.events.emit(PASSCODE_ENTERED_EVENT);
  }

  lock(): void {
    this.scenario.locked = true;
  }

  /**
   * Pairs this phone with a host without the Trust dialog (scenario `trusted`): returns the host's full
   * pair record (to store in usbmuxd) and remembers the host on the phone.
   */
  async trustHost(systemBuid: string): Promise<PairRecord> {
    const record = await generatePairRecord({
      devicePublicKeyPem: this.devicePublicKeyPem,
      systemBuid,
      wifiMacAddress: this.identity.wifiAddress,
      udid: this.udid,
    });
    this.addPairedHost({
      hostId: record.HostID,
      systemBuid,
      hostCertificate: record.HostCertificate,
      rootCertificate: record.RootCertificate,
      deviceCertificate: record.DeviceCertificate,
      escrowBag: record.EscrowBag ?? Buffer.alloc(0),
    });
    return record;
  }

  /** Lockdown StartService: allocate a one-shot port, or say why not (docs/protocols/lockdown.md#requests, docs/protocols/lockdown.md#error-strings). */
  startService(
    name: string,
    request: { host: PairedHost | null; escrowBag: Uint8Array | undefined },
  ): { port: number; ssl: boolean } | LockdownErrorName {
    if (!request.host && !SERVICES_WITHOUT_SESSION.has(name)) return LockdownError.SessionInactive;
    const service = this.services.get(name);
    if (!service) return LockdownError.InvalidService;
    const scenario = this.scenario;
    // docs/protocols/lockdown.md#after-an-erase: no backup service before the phone is activated.
    if (ESCROW_SERVICES.has(name) && !scenario.activated) return LockdownError.ServiceProhibited;
    if (ESCROW_SERVICES.has(name) && scenario.passcodeSet && scenario.locked) {
      const escrow = request.escrowBag;
      if (!escrow) return LockdownError.PasswordProtected;
      if (!request.host || !Buffer.from(escrow).equals(request.host.escrowBag)) return LockdownError.EscrowLocked;
      // Class keys are unavailable until the first unlock after boot: the escrow bag cannot help.
      if (!scenario.unlockedSinceBoot) return LockdownError.EscrowLocked;
    }
    let port = 0;
    for (let i = 0; i < 100 && (port === 0 || this.servicePorts.has(port)); i++) port = randomInt(49152, 65000);
    if (this.servicePorts.has(port)) return LockdownError.ServiceLimit;
    const timer = setTimeout(() => this.servicePorts.delete(port), SERVICE_PORT_TTL_MS);
    timer.unref();
    this.servicePorts.set(port, { service, host: request.host, timer });
    return { port, ssl: service.ssl && request.host !== null };
  }

  /** Stop timers; the phone can be dropped afterwards. */
  dispose(): void {
    clearTimeout(this.unplugTimer);
    this.ramdisk?.dispose();
    this.closeServicePorts();
    this.hardware.dispose();
  }

  private closeServicePorts(): void {
    for (const entry of this.servicePorts.values()) clearTimeout(entry.timer);
    this.servicePorts.clear();
  }

  private armUnplugTimer(): void {
    clearTimeout(this.unplugTimer);
    const after = this.faults.unplugAfterMs;
    if (after === undefined) return;
    this.unplugTimer = setTimeout(() => this.hardware.unplug(), after);
    this.unplugTimer.unref();
  }

  private updateVisibility(): void {
    const visible = this.usbVisible();
    if (visible === this.visible) return;
    this.visible = visible;
    this.events.emit('usb-visibility', visible);
  }
}

export type { PhoneMode };
