/** bmRequestType (USB 2.0 chapter 9, docs/protocols/usbip.md#bmrequesttype) ↔ the WebUSB-shaped fields of UsbControlSetup. */
import type { UsbControlSetup } from '../usb/usb-bus';
import { UsbRequest } from '../usb/usb-standard-requests';

/** docs/protocols/usbip.md#reset-convention: a USB port reset travels as SET_FEATURE(PORT_RESET) to the port. */
export const PORT_RESET_SETUP = { bmRequestType: 0x23, bRequest: UsbRequest.SetFeature, wValue: 4 } as const;

const TYPES: readonly UsbControlSetup['requestType'][] = ['standard', 'class', 'vendor'];
const RECIPIENTS: readonly UsbControlSetup['recipient'][] = ['device', 'interface', 'endpoint', 'other'];

export function bmRequestTypeOf(setup: Pick<UsbControlSetup, 'requestType' | 'recipient'>, direction: 'in' | 'out'): number {
  return (direction === 'in' ? 0x80 : 0) | (TYPES.indexOf(setup.requestType) << 5) | RECIPIENTS.indexOf(setup.recipient);
}

/** null for the reserved type (3) and reserved recipients (4–31). */
export function parseBmRequestType(
  bm: number,
): { direction: 'in' | 'out'; requestType: UsbControlSetup['requestType']; recipient: UsbControlSetup['recipient'] } | null {
  const requestType = TYPES[(bm >> 5) & 3];
  const recipient = RECIPIENTS[bm & 0x1f];
  if (requestType === undefined || recipient === undefined) return null;
  return { direction: bm & 0x80 ? 'in' : 'out', requestType, recipient };
}
