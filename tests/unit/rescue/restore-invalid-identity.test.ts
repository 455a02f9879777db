import { describe, expect, it } from 'vitest';
import { problemOf } from '../../../common/api';
import type { FirmwareService } from '../../../main/firmware/firmware-service';
import type { EngineContext } from '../../../main/rescue/engine-ports';
import { restoreHandlers } from '../../../main/rescue/handlers/restore-handlers';
import type { JobRunner } from '../../../main/rescue/jobs';
import type { UsbBus, UsbDeviceHandle } from '../../../main/usb/usb-bus';

/** A bus holding fixed enumerations; the handler refuses before any transfer, firmware or job. */
function contextWith(serials: { productId: number; serialNumber: string }[]): EngineContext {
  const devices = serials.map(
    (s, i) => ({ id: `d${i}`, location: `1-${i}`, vendorId: 0x05ac, opened: false, ...s }) as unknown as UsbDeviceHandle,
  );
  const bus = {
    getDevices: async () => devices,
    onConnect: () => () => undefined,
    onDisconnect: () => () => undefined,
    status: () => ({ state: 'ready' }),
    close: () => undefined,
  } as unknown as UsbBus;
  return {
    options: { version: 'test', usb: bus, firmware: {} as FirmwareService },
    jobs: {} as JobRunner,
    phones: () => [],
    emit: () => undefined,
    on: () => () => undefined,
    whenClosing: () => undefined,
  };
}

const refusal = (context: EngineContext, ecid?: string) => {
  const toRamdisk = restoreHandlers(context)['restore.toRamdisk'];
  return toRamdisk({ until: 'ramdisk', ...(ecid ? { ecid } : {}) }, { transport: 'in-process' }).then(
    () => null,
    (error: unknown) => problemOf(error),
  );
};

describe('restore refuses a phone that reports an invalid identity', () => {
  it('refuses a DFU phone whose serial string carries a malformed ECID', async () => {
    const context = contextWith([
      { productId: 0x1227, serialNumber: 'CPID:8960 CPRV:11 CPFM:03 SCEP:01 BDID:00 ECID:../../victim IBFL:1C SRTG:[iBoot-1704.10]' },
    ]);
    expect(await refusal(context)).toMatchObject({ code: 'phone-invalid-identity' });
  });

  it('refuses a recovery phone whose serial number field is not a serial number, even when asked for by its ECID', async () => {
    const context = contextWith([
      { productId: 0x1281, serialNumber: 'CPID:8960 CPRV:11 CPFM:03 SCEP:01 BDID:00 ECID:001A2B3C4D5E6F70 IBFL:1D SRNM:[../../victim]' },
    ]);
    expect(await refusal(context, '001A2B3C4D5E6F70')).toMatchObject({ code: 'phone-invalid-identity' });
  });

  it('still says "no phone" when nothing is in DFU or recovery', async () => {
    expect(await refusal(contextWith([]))).toMatchObject({ code: 'restore-no-phone' });
  });
});
