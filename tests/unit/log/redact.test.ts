import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactText, redactValue } from '../../../main/log/redact';

const UDID_40 = '2f8b4c1e9d0a7b3c6e5f4a3b2c1d0e9f8a7b6c5d';
const UDID_8_16 = '00008030-001A2B3C4D5E6F78';
const ECID_HEX = '001A2B3C4D5E6F78';

describe('redactText', () => {
  it('masks both UDID forms to their last six characters', () => {
    expect(redactText(`paired with ${UDID_40} over usbmuxd`)).toBe('paired with [udid …7b6c5d] over usbmuxd');
    expect(redactText(`device ${UDID_8_16} attached`)).toBe('device [udid …5E6F78] attached');
    expect(redactText(`/var/db/lockdown/${UDID_8_16}.plist`)).not.toContain(UDID_8_16);
  });

  it('masks a labelled ECID in hex or decimal, as iBoot, lockdown and JSON write it', () => {
    const dfuSerial = `CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:0C ECID:${ECID_HEX} IBFL:3C SRNM:[F2LXK0ABHG7F]`;
    const redacted = redactText(dfuSerial);
    expect(redacted).toContain('ECID:[ecid …5E6F78]');
    expect(redacted).toContain('SRNM:[[serial]]');
    expect(redacted).not.toContain('F2LXK0ABHG7F');
    expect(redactText('UniqueChipID = 7376215634523912')).toBe('UniqueChipID = [ecid …523912]');
    expect(redactText('{"ecid":"0x1a2b3c4d5e6f"}')).toBe('{"ecid":"[ecid …4d5e6f]"}');
  });

  it('removes serial numbers, IMEI, MEID and phone numbers', () => {
    const text = 'SerialNumber: DNPVH1234567 IMEI: 35 209900 176148 1 MEID=A0000012345678 PhoneNumber: +1 (415) 555-0132';
    const redacted = redactText(text);
    for (const secret of ['DNPVH1234567', '35 209900 176148 1', 'A0000012345678', '555-0132']) expect(redacted).not.toContain(secret);
    expect(redactText('modem 352099001761481 ready')).toBe('modem [imei] ready');
    expect(redactText('call +44 20 7946 0958 now')).toBe('call [phone number] now');
    expect(redactText('call (415) 555-0132 now')).toBe('call [phone number] now');
  });

  it('replaces the home folder and other people’s user folders', () => {
    expect(redactText('/home/anna/Downloads/iPhone.ipsw', { homeDir: '/home/anna' })).toBe('~/Downloads/iPhone.ipsw');
    expect(redactText('C:\\Users\\Anna\\Apple\\MobileSync\\Backup', { homeDir: 'C:\\Users\\Anna' })).toBe('~\\Apple\\MobileSync\\Backup');
    expect(redactText('/Users/bob/Library/Logs')).toBe('/Users/<user>/Library/Logs');
    expect(redactText('D:\\Users\\bob\\x')).toBe('D:\\Users\\<user>\\x');
  });

  it('leaves ordinary log words, versions, sizes, times and job ids alone', () => {
    const text = 'job 3b9ac9ff-6f1e-4c8e-9a8e-2f6d1b0c7e55 restore 18.0.1 (22A3354) 1234567 bytes at 2025-05-03T10:20:30.123Z';
    expect(redactText(text)).toBe(text);
  });

  it('never lets a UDID through, whatever surrounds it', () => {
    const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: length, maxLength: length });
    const udid = fc.oneof(
      hex(40),
      fc.tuple(hex(8), hex(16)).map(([a, b]) => `${a}-${b}`),
    );
    const around = fc.string({ maxLength: 30 });
    fc.assert(
      fc.property(around, udid, around, (before, id, after) => {
        const out = redactText(`${before}${id}${after}`);
        expect(out).not.toMatch(/[0-9a-f]{40}/i);
        expect(out).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{16}/i);
      }),
      { numRuns: 500 },
    );
  });
});

describe('redactValue', () => {
  it('drops secrets, masks phone ids and removes personal numbers by field name', () => {
    const value = redactValue({
      command: 'backup.checkPassword',
      request: { backupId: 'b1', password: 'correct horse', passcode: '123456' },
      phoneId: ECID_HEX,
      udid: UDID_40,
      ecid: 7376215634523912n,
      SerialNumber: 'DNPVH1234567',
      InternationalMobileEquipmentIdentity: '352099001761481',
      nested: [{ PhoneNumber: '+1 415 555 0132' }],
    });
    const text = JSON.stringify(value);
    for (const secret of ['correct horse', '123456', ECID_HEX, UDID_40, 'DNPVH1234567', '352099001761481', '555 0132'])
      expect(text).not.toContain(secret);
    expect(value).toMatchObject({
      command: 'backup.checkPassword',
      request: { backupId: 'b1', password: '[redacted]' },
      phoneId: '[phone …5E6F78]',
    });
  });

  it('writes errors as their fields, cause included, and survives cycles and deep nesting', () => {
    const cause = new Error(`lockdown refused ${UDID_8_16}`);
    const error = Object.assign(new Error('pairing failed', { cause }), { code: 'EPAIR' });
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const value = redactValue({ error, cyclic }) as {
      error: { message: string; code: string; cause: { message: string } };
      cyclic: { self: unknown };
    };
    expect(value.error).toMatchObject({ message: 'pairing failed', code: 'EPAIR', cause: { message: 'lockdown refused [udid …5E6F78]' } });
    expect(value.cyclic.self).toBe('[cycle]');
    let deep: unknown = 'bottom';
    for (let i = 0; i < 50; i++) deep = { deep };
    expect(JSON.stringify(redactValue(deep))).toContain('[nested too deep]');
  });
});
