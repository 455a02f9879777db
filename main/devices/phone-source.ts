import type { Unsubscribe } from '../../common/api';
import type { HostStatus, Phone } from '../../common/phone';

/** Where the engine learns about phones. The device registry implements it. */
export interface PhoneSource {
  list(): Phone[];
  hostStatus(): HostStatus;
  onChange(listener: () => void): Unsubscribe;
  onHostStatus(listener: (status: HostStatus) => void): Unsubscribe;
  close(): Promise<void>;
}
