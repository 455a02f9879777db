import type { DfuPhone } from '../../../common/api';
import { ProblemError } from '../../../common/api';
import { hex } from '../../../common/device-table';
import { maskPhoneId } from '../../../common/phone-id-mask';
import { ecidKey } from '../../devices/phone-views';
import { publicPhoneId } from '../../devices/public-phone-id';
import { IrecvClient } from '../../irecv/irecv-client';
import { listIrecvDevices } from '../../irecv/irecv-discovery';
import type { IrecvDeviceInfo } from '../../irecv/irecv-device-info';
import type { CommandHandlers, EngineContext } from '../engine-ports';

/** Opening a phone only to read its nonce string: short waits, a listed phone answers at once. */
const PROBE_TIMEOUTS = { discoveryMs: 2_000, transferMs: 5_000 };

function describe(info: IrecvDeviceInfo, location: string, showEcid: boolean): DfuPhone {
  const phone: DfuPhone = { mode: info.mode, productId: hex(info.productId), location, cpid: hex(info.cpid) };
  if (info.bdid !== undefined) phone.bdid = hex(info.bdid, 2);
  if (info.ecid !== undefined) {
    const ecid = BigInt.asUintN(64, info.ecid);
    phone.ecid = showEcid ? ecidKey(ecid) : maskPhoneId(ecid);
    phone.phoneId = publicPhoneId({ ecid });
  }
  if (info.model) phone.model = { productType: info.model.productType, name: info.model.name, boardConfig: info.model.boardConfig };
  if (info.srtg !== undefined) phone.srtg = info.srtg;
  if (info.apNonce) phone.apNonce = Buffer.from(info.apNonce).toString('hex');
  if (info.sepNonce) phone.sepNonce = Buffer.from(info.sepNonce).toString('hex');
  return phone;
}

export function dfuHandlers(context: EngineContext): Pick<CommandHandlers, 'dfu.info'> {
  return {
    'dfu.info': async ({ showEcid }) => {
      const bus = context.options.usb;
      if (!bus) {
        throw new ProblemError('usb-unavailable', { purpose: 'see-phones' });
      }
      const status = bus.status();
      if (status.state === 'unavailable') {
        throw new ProblemError('usb-blocked', { hostDetail: status.detail, hostFix: status.fix });
      }
      const phones: DfuPhone[] = [];
      for (const { device, info } of await listIrecvDevices(bus)) {
        let full = info;
        // The nonces live in string descriptor 1, which needs the device opened; the rest is in the serial string.
        if (info.ecid !== undefined) {
          try {
            const client = await IrecvClient.open(bus, { ecid: info.ecid, timeouts: PROBE_TIMEOUTS });
            full = client.info;
            await client.close();
          } catch {
            // A phone that will not open still shows what its serial string says.
          }
        }
        phones.push(describe(full, device.location, showEcid ?? false));
      }
      return phones;
    },
  };
}
