import { describe, expect, it } from 'vitest';
import { maskPhoneId } from '../../../common/phone-id-mask';
import { ecidKey } from '../../../main/devices/phone-views';
import { identityOfPhoneId, isPublicPhoneId, publicIdOfPhone, publicPhoneId } from '../../../main/devices/public-phone-id';

const ECID = 0x001a2b3c4d3f2a1cn;
const CHIP_UDID = '00008030-001A2B3C4D3F2A1C';
const LEGACY_UDID = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

describe('maskPhoneId: the one way an ECID or UDID is shown to people', () => {
  it('keeps only the last six characters', () => {
    expect(maskPhoneId(ECID)).toBe('…3F2A1C');
    expect(maskPhoneId(ecidKey(ECID))).toBe('…3F2A1C');
    expect(maskPhoneId(CHIP_UDID)).toBe('…3F2A1C');
    expect(maskPhoneId(LEGACY_UDID)).toBe('…345678');
  });

  it('pads a small ECID to its 16 hex digits before masking', () => {
    expect(maskPhoneId(0xabcn)).toBe('…000ABC');
  });
});

describe('publicPhoneId: the opaque id of --json output', () => {
  it('is a short hash that never contains the ECID or UDID', () => {
    const id = publicPhoneId({ ecid: ECID });
    expect(id).toMatch(/^ph-[0-9a-f]{12}$/);
    expect(isPublicPhoneId(id)).toBe(true);
    for (const part of ['3f2a1c', '1a2b3c', '00008030']) expect(id.slice(3)).not.toContain(part);
  });

  it('is the same for one phone in every mode: DFU (ECID), normal (chip UDID) and the registry key', () => {
    const id = publicPhoneId({ ecid: ECID });
    expect(publicPhoneId({ udid: CHIP_UDID })).toBe(id);
    expect(publicPhoneId({ udid: CHIP_UDID.toLowerCase() })).toBe(id);
    expect(publicPhoneId({ ecid: ECID, udid: CHIP_UDID })).toBe(id);
    expect(publicIdOfPhone(ecidKey(ECID))).toBe(id);
    expect(publicIdOfPhone(`udid-${CHIP_UDID}`)).toBe(id);
  });

  it('is stable across runs (a fixed value for a fixed phone) and differs between phones', () => {
    expect(publicPhoneId({ ecid: ECID })).toBe(publicPhoneId({ ecid: BigInt(`0x${ecidKey(ECID)}`) }));
    expect(publicPhoneId({ ecid: 1n })).not.toBe(publicPhoneId({ ecid: 2n }));
    expect(publicPhoneId({ udid: LEGACY_UDID })).toBe(publicPhoneId({ udid: LEGACY_UDID.toUpperCase() }));
    expect(publicPhoneId({ udid: LEGACY_UDID })).not.toBe(publicPhoneId({ ecid: ECID }));
  });

  it('reads the identity back from a registry phone id', () => {
    expect(identityOfPhoneId(ecidKey(ECID))).toEqual({ ecid: ECID });
    expect(identityOfPhoneId(`udid-${LEGACY_UDID}`)).toEqual({ udid: LEGACY_UDID });
  });
});
