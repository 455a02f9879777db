import { encodePairRecord } from '../lockdown/pair-record';
import { FakeUsbmuxd } from './usbmuxd-daemon';
import type { FakeUsbmuxdOptions } from './usbmuxd-daemon';
import { VirtualIphone } from './virtual-iphone';
import type { VirtualIphoneOptions } from './virtual-iphone';
import type { Scenario, ScenarioInput } from './scenario';

export type SimulatorOptions = FakeUsbmuxdOptions & {
  phones: (ScenarioInput | Scenario)[];
  phoneOptions?: VirtualIphoneOptions;
};

export type Simulator = {
  daemon: FakeUsbmuxd;
  phones: VirtualIphone[];
  /** Value for USBMUXD_SOCKET_ADDRESS. */
  address: string;
  /** Adds another phone at run time (plugged in and listed when its scenario says normal mode). */
  addPhone(scenario: ScenarioInput | Scenario): Promise<VirtualIphone>;
  close(): Promise<void>;
};

/** Fake usbmuxd + virtual phones; `trusted` phones get a pair record in the daemon like a previously paired host. */
export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const daemon = new FakeUsbmuxd(options);
  const address = await daemon.start();
  const phones: VirtualIphone[] = [];
  const addPhone = async (scenario: ScenarioInput | Scenario): Promise<VirtualIphone> => {
    const phone = await VirtualIphone.create(scenario, options.phoneOptions);
    if (phone.scenario.trusted) {
      const record = await phone.trustHost(daemon.systemBuid);
      await daemon.storePairRecord(phone.udid, encodePairRecord(record, 'xml'));
    }
    phones.push(phone);
    daemon.attach(phone);
    return phone;
  };
  for (const scenario of options.phones) await addPhone(scenario);
  return {
    daemon,
    phones,
    address,
    addPhone,
    async close() {
      for (const phone of phones) {
        daemon.detach(phone);
        phone.dispose();
      }
      await daemon.close();
    },
  };
}
