import { createSimServices } from './services';
import { startSimulator as startBareSimulator } from './simulator';
import type { Simulator, SimulatorOptions } from './simulator';

export type { Simulator, SimulatorOptions } from './simulator';
export { FakeUsbmuxd } from './usbmuxd-daemon';
export { VirtualIphone } from './virtual-iphone';
export type { PairedHost, TrustDialogAnswer } from './paired-host';
export { FaultPlan } from './faults';
export type { FaultSettings } from './faults';
export { ScenarioSchema, parseScenario, loadScenarioFile, backupNeedsPasscode } from './scenario';
export type { Scenario, ScenarioInput } from './scenario';

/** Fake usbmuxd + virtual phones with every simulated service (AFC, notification_proxy, mobilebackup2, …). */
export function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  return startBareSimulator({
    ...options,
    phoneOptions: { createServices: createSimServices, ...options.phoneOptions },
  });
}
