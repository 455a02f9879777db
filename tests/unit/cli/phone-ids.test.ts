import { describe, expect, it } from 'vitest';
import type { BackupSummary } from '../../../common/api';
import type { Phone } from '../../../common/phone';
import { formatBackup } from '../../../main/cli/backup-command';
import { formatPhone } from '../../../main/cli/devices-command';
import { backupForJson, phoneForJson, phonesMatching } from '../../../main/cli/phone-ids';
import { publicPhoneId } from '../../../main/devices/public-phone-id';

const LEGACY_UDID = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

const phone = (id: string): Phone => ({
  id,
  mode: 'normal',
  model: { name: 'iPhone 5s (GSM)', productType: 'iPhone6,1', boardConfig: 'n51ap', cpid: 0x8960, bdid: 0, buttons: 'home', known: true },
  iosVersion: '12.5.8',
  buildVersion: null,
  deviceName: null,
  connected: true,
  identifying: false,
  trusted: true,
  passcodeSet: true,
  triage: { canBackUp: true, headline: 'Ready to back up', reason: '', nextSteps: [] },
});

const backup: BackupSummary = {
  id: 'bk-0123456789ab',
  udid: LEGACY_UDID,
  path: `/backups/${LEGACY_UDID}`,
  location: 'Chosen backup folder',
  deviceName: 'Kim’s iPhone',
  productType: 'iPhone6,1',
  modelName: 'iPhone 5s (GSM)',
  iosVersion: '12.5.8',
  buildVersion: '16H81',
  date: '2025-01-02T03:04:05.000Z',
  sizeBytes: 1_000_000,
  encrypted: false,
  complete: true,
};

describe('phone ids on the command line', () => {
  it('lifeline devices prints the ECID masked, or whole with --show-ecid', () => {
    expect(formatPhone(phone('001A2B3C4D3F2A1C'))).toContain('iPhone 5s (GSM) […3F2A1C] — normal');
    expect(formatPhone(phone('001A2B3C4D3F2A1C'))).not.toContain('001A2B3C4D');
    expect(formatPhone(phone('001A2B3C4D3F2A1C'), true)).toContain('[001A2B3C4D3F2A1C]');
    expect(formatPhone(phone(`udid-${LEGACY_UDID}`))).toContain('[…345678]');
    expect(formatPhone(phone(`udid-${LEGACY_UDID}`), true)).toContain(`[${LEGACY_UDID}]`);
  });

  it('--json gives the opaque id in place of the ECID, and adds the ECID / UDID only with --show-ecid', () => {
    const hidden = phoneForJson(phone('001A2B3C4D3F2A1C'), false);
    expect(hidden.id).toBe(publicPhoneId({ ecid: 0x001a2b3c4d3f2a1cn }));
    expect(JSON.stringify(hidden)).not.toMatch(/3F2A1C/i);
    expect(phoneForJson(phone('001A2B3C4D3F2A1C'), true)).toMatchObject({ id: hidden.id, ecid: '001A2B3C4D3F2A1C' });
    expect(phoneForJson(phone(`udid-${LEGACY_UDID}`), true)).toMatchObject({ id: publicPhoneId({ udid: LEGACY_UDID }), udid: LEGACY_UDID });
    expect(phoneForJson(phone(`udid-${LEGACY_UDID}`), false)).not.toHaveProperty('udid');
  });

  it('a backup in --json carries phoneId instead of its UDID; prose masks the UDID', () => {
    const json = backupForJson(backup, false);
    expect(json).not.toHaveProperty('udid');
    expect(json.phoneId).toBe(publicPhoneId({ udid: LEGACY_UDID }));
    expect(backupForJson(backup, true).udid).toBe(LEGACY_UDID);
    expect(formatBackup(backup).split('\n')[1]).toMatch(/^ {2}bk-0123456789ab {2}…345678 {2}\/backups\//);
    expect(formatBackup(backup, true).split('\n')[1]).toMatch(new RegExp(`^ {2}bk-0123456789ab {2}${LEGACY_UDID} {2}`));
  });

  it('--phone finds a phone by the opaque id, the raw id, or the masked id as printed', () => {
    const phones = [phone('001A2B3C4D3F2A1C'), phone(`udid-${LEGACY_UDID}`)];
    const [ecidPhone, udidPhone] = phones;
    expect(phonesMatching(phones, publicPhoneId({ ecid: 0x001a2b3c4d3f2a1cn }))).toEqual([ecidPhone]);
    expect(phonesMatching(phones, publicPhoneId({ udid: LEGACY_UDID }))).toEqual([udidPhone]);
    expect(phonesMatching(phones, '001a2b3c4d3f2a1c')).toEqual([ecidPhone]);
    expect(phonesMatching(phones, LEGACY_UDID.toUpperCase())).toEqual([udidPhone]);
    expect(phonesMatching(phones, `udid-${LEGACY_UDID}`)).toEqual([udidPhone]);
    expect(phonesMatching(phones, '…345678')).toEqual([udidPhone]);
    expect(phonesMatching(phones, ' …3F2A1C ')).toEqual([ecidPhone]);
    expect(phonesMatching(phones, '…')).toEqual([]);
    expect(phonesMatching(phones, '2A1')).toEqual([]);
    expect(phonesMatching(phones, 'ph-000000000000')).toEqual([]);
  });
});
