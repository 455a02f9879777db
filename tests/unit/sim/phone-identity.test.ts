import { describe, expect, it } from 'vitest';
import { derivePhoneIdentity } from '../../../main/sim/phone-identity';
import { backupNeedsPasscode, buildVersionFor, parseScenario, scenarioModel } from '../../../main/sim/scenario';

describe('scenario and phone identity', () => {
  it('fills defaults and rejects models missing from devices.json', () => {
    const scenario = parseScenario({});
    expect(scenario.model.productType).toBe('iPhone12,1');
    expect(scenario.trustDialog).toBe('accept');
    expect(() => parseScenario({ model: { productType: 'iPhone99,9' } })).toThrow(/unknown model/);
    expect(() => parseScenario({ ios: 'fourteen' })).toThrow();
  });

  it('derives a dashed CPID-ECID UDID for A12+ chips and a 40-hex one for older phones', () => {
    const modern = parseScenario({ model: { productType: 'iPhone12,1' }, ecid: '0x001A2B3C4D5E6F70' });
    const id = derivePhoneIdentity(modern, scenarioModel(modern));
    expect(id.udid).toBe('00008030-001A2B3C4D5E6F70');
    expect(id.ecid).toBe(0x001a2b3c4d5e6f70n);
    const old = parseScenario({ model: { productType: 'iPhone6,1' }, ios: '12.5.7' });
    expect(derivePhoneIdentity(old, scenarioModel(old)).udid).toMatch(/^[0-9a-f]{40}$/);
  });

  it('normalises a 24-hex scenario UDID to the dashed form', () => {
    const scenario = parseScenario({ udid: '00008030001a2b3c4d5e6f70' });
    expect(derivePhoneIdentity(scenario, scenarioModel(scenario)).udid).toBe('00008030-001A2B3C4D5E6F70');
  });

  it('is deterministic per seed and differs between seeds; IMEI passes the Luhn check', () => {
    const a = parseScenario({ seed: 'a' });
    const b = parseScenario({ seed: 'b' });
    const ida = derivePhoneIdentity(a, scenarioModel(a));
    expect(derivePhoneIdentity(a, scenarioModel(a))).toEqual(ida);
    expect(derivePhoneIdentity(b, scenarioModel(b)).udid).not.toBe(ida.udid);
    const digits = ida.imei.split('').map(Number);
    const sum = digits.reverse().reduce((acc, d, i) => acc + (i % 2 === 1 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d), 0);
    expect(sum % 10).toBe(0);
    expect(ida.wifiAddress).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  });

  it('applies the iOS 16.1 passcode-for-backup rule only with a passcode', () => {
    expect(backupNeedsPasscode(parseScenario({ ios: '16.1', passcodeSet: true }))).toBe(true);
    expect(backupNeedsPasscode(parseScenario({ ios: '16.0', passcodeSet: true }))).toBe(false);
    expect(backupNeedsPasscode(parseScenario({ ios: '17.2', passcodeSet: false }))).toBe(false);
  });

  it('uses the real build for known versions and the scenario build when given', () => {
    expect(buildVersionFor(parseScenario({ ios: '14.8' }))).toBe('18H17');
    expect(buildVersionFor(parseScenario({ ios: '14.8', build: '18H999' }))).toBe('18H999');
  });
});
