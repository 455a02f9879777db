/** USB 2.0 chapter 9 numbers that host code and the virtual phone's USB side both use. */

/** Standard bRequest codes. */
export const UsbRequest = {
  ClearFeature: 1,
  SetFeature: 3,
  GetDescriptor: 6,
  GetConfiguration: 8,
  SetConfiguration: 9,
  SetInterface: 11,
} as const;

/** GET_DESCRIPTOR's descriptor types (the high byte of wValue). */
export const UsbDescriptorType = {
  Device: 1,
  Configuration: 2,
  String: 3,
  Interface: 4,
  Endpoint: 5,
} as const;

/** wValue of GET_DESCRIPTOR for a descriptor type and index. */
export const descriptorValue = (type: number, index = 0): number => (type << 8) | (index & 0xff);

export const LANGID_EN_US = 0x0409;
