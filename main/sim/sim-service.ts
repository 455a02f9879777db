import type { Duplex } from 'node:stream';
import type { EventEmitter } from 'node:events';
import type { PlistValue } from '../plist/plist-value';
import type { Scenario } from './scenario';
import type { FaultPlan } from './faults';

/**
 * What a simulated device service (notification_proxy, AFC, mobilebackup2, …) may see of its phone.
 * Deliberately small so services stay independent of lockdownd and the daemon.
 */
export type SimServicePhone = {
  /** Dashed 25-char (or 40-hex legacy) UDID, as the host sees it. */
  readonly udid: string;
  readonly scenario: Scenario;
  /** Same answers lockdownd gives inside a session; undefined = MissingValue. domain undefined = default domain. */
  lockdownValue(domain: string | undefined, key: string): PlistValue | undefined;
  readonly faults: FaultPlan;
  /**
   * Phone-wide events. Emitted by the phone: 'mode' (mode, previous), 'plugged' (boolean),
   * 'paired' (hostId), 'unpaired' (hostId). Services may emit their own (e.g. 'backup-finished').
   */
  readonly events: EventEmitter;
  /** iOS restarts (e.g. at the end of a restore from backup with RestoreShouldReboot). */
  reboot?(): void;
};

/** Emitted on a phone's `events` when an erase wiped its user data: services holding that data clear it. */
export const USER_DATA_ERASED_EVENT = 'user-data-erased';

/** One lockdown-startable service. `serve` gets the stream after TLS (if `ssl`) was set up by lockdownd. */
export type SimService = {
  /** Lockdown service name, e.g. 'com.apple.mobilebackup2'. */
  readonly name: string;
  /** Whether StartService replies EnableServiceSSL:true (the stream handed to serve() is then already TLS). */
  readonly ssl: boolean;
  /** Takes ownership of the stream; must never throw on hostile bytes (close the stream instead). */
  serve(stream: Duplex): void;
};

export type CreateSimServices = (phone: SimServicePhone) => Map<string, SimService>;
