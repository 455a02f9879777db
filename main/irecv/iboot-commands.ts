/**
 * iBoot's command line over USB control transfers in recovery mode (docs/protocols/irecv.md#iboot-commands): a vendor/device OUT
 * request carrying "command\0", and the same setup IN to read an answer. Used by the irecv client and by the coach
 * (assisted DFU reboot, exit recovery) on a handle the device registry already has.
 */
import { UsbDeviceError, type UsbControlSetup, type UsbDeviceHandle, type UsbInTransferResult } from '../usb/usb-bus';
import { IrecvError } from './irecv-errors';
import { IBOOT_ANSWER_LENGTH, IBootRequest, MAX_IBOOT_COMMAND_BYTES } from './irecv-wire';

const DEFAULT_TRANSFER_MS = 15_000;

export const vendorDeviceRequest = (request: number): UsbControlSetup => ({
  requestType: 'vendor',
  recipient: 'device',
  request,
  value: 0,
  index: 0,
});

/** One USB request with a deadline, its failures turned into IrecvErrors. */
export type UsbCall = <T>(what: string, operation: () => Promise<T>) => Promise<T>;

export function boundedUsbCall(timeoutMs: number = DEFAULT_TRANSFER_MS): UsbCall {
  return async (what, operation) => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new IrecvError(`The phone did not answer (${what}) within ${timeoutMs / 1000} s`, 'timeout')),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([operation(), deadline]);
    } catch (error) {
      if (error instanceof IrecvError) throw error;
      if (error instanceof UsbDeviceError && error.code === 'disconnected')
        throw new IrecvError(`The phone left the USB bus (${what})`, 'disconnected');
      throw new IrecvError(`Could not ${what}: ${error instanceof Error ? error.message : String(error)}`, 'stalled');
    } finally {
      clearTimeout(timer);
    }
  };
}

export function transferBytes(result: UsbInTransferResult): Buffer {
  return result.data ? Buffer.from(result.data.buffer, result.data.byteOffset, result.data.byteLength) : Buffer.alloc(0);
}

export type IBootCommandOptions = {
  /** 1 for commands after which the phone may not answer (go, bootx, reboot, reset): stalls and disconnects are expected. */
  bRequest?: typeof IBootRequest.Command | typeof IBootRequest.CommandNoAnswer;
  call?: UsbCall;
};

export async function sendIBootCommand(device: UsbDeviceHandle, line: string, options: IBootCommandOptions = {}): Promise<void> {
  const body = Buffer.from(line, 'latin1');
  if (body.length === 0 || body.length > MAX_IBOOT_COMMAND_BYTES || body.includes(0)) {
    throw new IrecvError('An iBoot command is 1–255 characters without NUL', 'invalid-argument');
  }
  const call = options.call ?? boundedUsbCall();
  const bRequest = options.bRequest ?? IBootRequest.Command;
  const payload = Buffer.concat([body, Buffer.from([0])]);
  try {
    if (!device.opened) await call('open the phone', () => device.open());
    const result = await call(`send “${line.split(' ')[0] ?? ''}”`, () =>
      device.controlTransferOut(vendorDeviceRequest(bRequest), payload),
    );
    if (result.status !== 'ok' && bRequest === IBootRequest.Command)
      throw new IrecvError(`The phone refused the command “${line}”`, 'stalled');
  } catch (error) {
    if (
      bRequest === IBootRequest.CommandNoAnswer &&
      error instanceof IrecvError &&
      (error.code === 'disconnected' || error.code === 'stalled')
    )
      return;
    throw error;
  }
}

/** `getenv NAME`, then the 0xC0 read-back; undefined when the phone answers with an empty value. */
export async function readIBootVariable(
  device: UsbDeviceHandle,
  name: string,
  options: { call?: UsbCall } = {},
): Promise<string | undefined> {
  if (!/^[\w.\-,]{1,64}$/.test(name)) throw new IrecvError('Not an NVRAM variable name', 'invalid-argument');
  const call = options.call ?? boundedUsbCall();
  await sendIBootCommand(device, `getenv ${name}`, { call });
  return readIBootAnswer(device, 'getenv', call).then((bytes) => {
    const nul = bytes.indexOf(0);
    const value = bytes.subarray(0, nul === -1 ? bytes.length : nul).toString('latin1');
    return value.length > 0 ? value : undefined;
  });
}

/** The answer iBoot keeps after getenv / getret (bounded to 255 bytes). */
export async function readIBootAnswer(device: UsbDeviceHandle, what: string, call: UsbCall = boundedUsbCall()): Promise<Buffer> {
  const result = await call('read the answer', () =>
    device.controlTransferIn(vendorDeviceRequest(IBootRequest.Command), IBOOT_ANSWER_LENGTH),
  );
  if (result.status !== 'ok') throw new IrecvError(`The phone did not answer ${what}`, 'stalled');
  return transferBytes(result);
}
