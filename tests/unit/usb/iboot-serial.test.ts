import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_SERIAL_INPUT_LENGTH,
  formatIBootSerial,
  formatNonceString,
  parseIBootSerial,
  type DeviceSerial,
} from '../../../main/usb/iboot-serial';

function parsed(input: string): DeviceSerial {
  const result = parseIBootSerial(input);
  if (!result.ok) throw new Error(`expected a parse, got ${result.error.code}: ${result.error.message}`);
  return result.serial;
}

describe('parseIBootSerial — real strings (masked ECID digits filled in)', () => {
  it('reads an iPhone 7 GSM DFU string (8010/0C) with its SecureROM tag', () => {
    const s = parsed('CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:0C ECID:001A400123456789 IBFL:3C SRTG:[iBoot-2696.0.0.1.33]');
    expect(s).toMatchObject({ cpid: 0x8010, cpidAssumed: false, cprv: 0x11, cpfm: 0x03, scep: 0x01, bdid: 0x0c, ibfl: 0x3c });
    expect(s.ecid).toBe(0x001a400123456789n);
    expect(s.srtg).toBe('iBoot-2696.0.0.1.33');
    expect(s.stage).toBe('securerom');
    expect(s.source).toBe('plain');
    expect(s.problems).toEqual([]);
  });

  it('reads an iPhone 7 Plus DFU string (8010/0A)', () => {
    const s = parsed('CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:0A ECID:001A05ABCDEF0123 IBFL:3C SRTG:[iBoot-2696.0.0.1.33]');
    expect(s.bdid).toBe(0x0a);
    expect(s.ecid).toBe(0x001a05abcdef0123n);
  });

  it('reads the full unmasked iPhone 7 DFU string from idevicerestore#293', () => {
    const s = parsed('CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:08 ECID:0006398020F9E526 IBFL:3C SRTG:[iBoot-2696.0.0.1.33]');
    expect(s.ecid).toBe(0x0006398020f9e526n);
    expect(s.bdid).toBe(0x08);
  });

  it('reads an Apple TV DFU string with the PWND suffix tools add after checkm8', () => {
    const s = parsed('CPID:8947 CPRV:00 CPFM:03 SCEP:10 BDID:00 ECID:000012345678ABCD IBFL:00 SRTG:[iBoot-1458.2] PWND:[checkm8]');
    expect(s).toMatchObject({ cpid: 0x8947, scep: 0x10, bdid: 0, ibfl: 0, srtg: 'iBoot-1458.2', pwnd: 'checkm8' });
  });

  it('reads an iPhone 3GS recovery string with serial number and IMEI', () => {
    const s = parsed('CPID:8920 CPRV:15 CPFM:03 SCEP:03 BDID:00 ECID:000001A2B3C4D5E6 IBFL:01 SRNM:[88012ABCDEF] IMEI:[012345678901234]');
    expect(s).toMatchObject({ cpid: 0x8920, cprv: 0x15, srnm: '88012ABCDEF', imei: '012345678901234', stage: 'iboot' });
    expect(s.srtg).toBeUndefined();
  });

  it('reads an iBoot string that starts with SDOM (iPhone 6s n71map, idevicerestore#301)', () => {
    const s = parsed('SDOM:01 CPID:8003 CPRV:01 CPFM:03 SCEP:01 BDID:04 ECID:00113814246B8226 IBFL:1C');
    expect(s).toMatchObject({ sdom: 1, cpid: 0x8003, bdid: 4, ibfl: 0x1c, stage: 'iboot' });
    expect(s.ecid).toBe(0x00113814246b8226n);
  });

  it('reads the serial out of a Windows interface path (iPhone 5s recovery, lowercase with underscores)', () => {
    const path =
      '\\\\?\\usb#vid_05ac&pid_1281&mi_00#6&1a2b3c4d&0&0000#{ed82a167-d61a-4af6-9ab6-11e52236c576}\\usb#vid_05ac&pid_1281#cpid:8960_cprv:11_cpfm:03_scep:01_bdid:02_ecid:000a1b2c3d4e5f60_ibfl:1d_srnm:[f2lm1234abcd]#mux1';
    const s = parsed(path);
    expect(s).toMatchObject({ cpid: 0x8960, cprv: 0x11, cpfm: 3, scep: 1, bdid: 2, ibfl: 0x1d, srnm: 'F2LM1234ABCD' });
    expect(s.ecid).toBe(0x000a1b2c3d4e5f60n);
    expect(s.source).toBe('windows-path');
    expect(s.pathProductId).toBe(0x1281);
  });

  it('reads a Windows interface path whose serial starts with sdom (iPhone 8 Plus GSM recovery)', () => {
    const path =
      '\\\\?\\usb#vid_05ac&pid_1281&mi_00#7&2b&0&0000#{ed82a167-d61a-4af6-9ab6-11e52236c576}\\usb#vid_05ac&pid_1281#sdom:01_cpid:8015_cprv:11_cpfm:03_scep:01_bdid:0c_ecid:001c2d3e4f506172_ibfl:3c_srnm:[c39vx0aajcl8]#mux1';
    const s = parsed(path);
    expect(s).toMatchObject({ sdom: 1, cpid: 0x8015, bdid: 0x0c, ibfl: 0x3c, srnm: 'C39VX0AAJCL8', stage: 'iboot' });
  });

  it('restores the iBoot- spelling of a SecureROM tag from a lowercased Windows DFU path', () => {
    const s = parsed(
      '\\\\?\\usb#vid_05ac&pid_1227#cpid:8010_cprv:11_cpfm:03_scep:01_bdid:0c_ecid:001a400123456789_ibfl:3c_srtg:[iboot-2696.0.0.1.33]#{b8085869-feb9-404b-8cb1-1e5c14fa8c54}',
    );
    expect(s.srtg).toBe('iBoot-2696.0.0.1.33');
    expect(s.pathProductId).toBe(0x1227);
  });
});

describe('parseIBootSerial — edge cases', () => {
  it('keeps the other fields when the ECID is masked, and says so', () => {
    const s = parsed('CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:0C ECID:001A40xxxxxxxxxx IBFL:3C SRTG:[iBoot-2696.0.0.1.33]');
    expect(s.ecid).toBeUndefined();
    expect(s.bdid).toBe(0x0c);
    expect(s.problems.join(' ')).toMatch(/ECID/);
  });

  it('assumes CPID 0x8900 when the string has no CPID', () => {
    const s = parsed('BDID:00 ECID:0000000000000001');
    expect(s.cpid).toBe(0x8900);
    expect(s.cpidAssumed).toBe(true);
  });

  it('reads the nonce string at descriptor index 1', () => {
    const s = parsed('NONC:00112233445566778899AABBCCDDEEFF00112233 SNON:FFEEDDCCBBAA99887766554433221100FFEEDDCC');
    expect(Buffer.from(s.nonc ?? []).toString('hex')).toBe('00112233445566778899aabbccddeeff00112233');
    expect(s.snon?.length).toBe(20);
  });

  it('uses the first of duplicate keys and reports the duplicate', () => {
    const s = parsed('CPID:8010 CPID:8960 BDID:0C');
    expect(s.cpid).toBe(0x8010);
    expect(s.problems.some((p) => p.includes('duplicate'))).toBe(true);
  });

  it('keeps unknown four-letter keys verbatim', () => {
    expect(parsed('CPID:8960 XTRA:42').other).toEqual({ XTRA: '42' });
  });

  it('accepts bracketed values that contain spaces', () => {
    expect(parsed('CPID:8960 SRTG:[iBoot 1704.10]').srtg).toBe('iBoot 1704.10');
  });

  it.each([
    ['empty', ''],
    ['empty', '   \n\t '],
    ['no-fields', 'hello world'],
    ['no-fields', 'Apple Mobile Device (DFU Mode)'],
    ['no-fields', 'CPID:zzzz BDID:'],
    ['no-fields', 'SRTG:[unterminated'],
  ] as const)('fails with %s for %j', (code, input) => {
    expect(parseIBootSerial(input)).toMatchObject({ ok: false, error: { code } });
  });

  it('refuses input longer than the bound without scanning it', () => {
    const result = parseIBootSerial(`CPID:8010 ${'A'.repeat(MAX_SERIAL_INPUT_LENGTH)}`);
    expect(result).toMatchObject({ ok: false, error: { code: 'too-long' } });
  });

  it('fails for values that are not strings', () => {
    for (const v of [undefined, null, 42, {}, ['CPID:8010']]) {
      expect(parseIBootSerial(v)).toMatchObject({ ok: false, error: { code: 'not-a-string' } });
    }
  });
});

describe('parseIBootSerial — properties', () => {
  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (s) => {
        const result = parseIBootSerial(s);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on strings built from serial-like pieces', () => {
    const piece = fc.oneof(
      fc.constantFrom('CPID:', 'ECID:', 'SRTG:[', ']', ' ', '_', '#', 'vid_05ac', 'pid_1281', 'sdom:', ':', '[', '0x', 'NONC:'),
      fc.string({ maxLength: 20 }),
      fc.stringMatching(/^[0-9A-Fa-f]{0,20}$/),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (pieces) => {
        const result = parseIBootSerial(pieces.join(''));
        expect(result.ok ? result.serial.problems.length : 0).toBeLessThanOrEqual(16);
      }),
      { numRuns: 2000 },
    );
  });

  const u8 = fc.integer({ min: 0, max: 0xff });
  const common = {
    cpid: fc.integer({ min: 0, max: 0xffff }),
    cprv: u8,
    cpfm: u8,
    scep: u8,
    bdid: u8,
    ecid: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    ibfl: u8,
  };
  const bracketText = fc.stringMatching(/^[A-Za-z0-9.-]{1,24}$/);

  it('round-trips DFU strings from formatIBootSerial', () => {
    fc.assert(
      fc.property(fc.record({ ...common, srtg: bracketText }), (f) => {
        const s = parsed(formatIBootSerial({ form: 'dfu', ...f }));
        expect(s).toMatchObject({
          cpid: f.cpid,
          cprv: f.cprv,
          cpfm: f.cpfm,
          scep: f.scep,
          bdid: f.bdid,
          ibfl: f.ibfl,
          srtg: f.srtg,
          stage: 'securerom',
        });
        expect(s.ecid).toBe(f.ecid);
      }),
    );
  });

  it('round-trips recovery strings from formatIBootSerial', () => {
    fc.assert(
      fc.property(
        fc.record({
          ...common,
          sdom: fc.option(u8, { nil: undefined }),
          srnm: fc.stringMatching(/^[A-Z0-9]{10,12}$/),
          imei: fc.option(fc.stringMatching(/^[0-9]{15}$/), { nil: undefined }),
        }),
        (f) => {
          const s = parsed(formatIBootSerial({ form: 'recovery', ...f }));
          expect(s).toMatchObject({ cpid: f.cpid, bdid: f.bdid, srnm: f.srnm, stage: 'iboot' });
          expect(s.sdom).toBe(f.sdom);
          expect(s.imei).toBe(f.imei);
          expect(s.ecid).toBe(f.ecid);
          expect(s.srtg).toBeUndefined();
        },
      ),
    );
  });

  it('round-trips nonce strings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 48 }), fc.uint8Array({ minLength: 1, maxLength: 20 }), (nonc, snon) => {
        const s = parsed(formatNonceString({ nonc, snon }));
        expect(Buffer.from(s.nonc ?? []).equals(Buffer.from(nonc))).toBe(true);
        expect(Buffer.from(s.snon ?? []).equals(Buffer.from(snon))).toBe(true);
      }),
    );
  });
});

describe('formatIBootSerial', () => {
  it('produces the exact layout of the iPhone 7 DFU example', () => {
    expect(
      formatIBootSerial({
        form: 'dfu',
        cpid: 0x8010,
        cprv: 0x11,
        cpfm: 3,
        scep: 1,
        bdid: 8,
        ecid: 0x0006398020f9e526n,
        ibfl: 0x3c,
        srtg: 'iBoot-2696.0.0.1.33',
      }),
    ).toBe('CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:08 ECID:0006398020F9E526 IBFL:3C SRTG:[iBoot-2696.0.0.1.33]');
  });

  it('puts SDOM first in the recovery form', () => {
    expect(
      formatIBootSerial({
        form: 'recovery',
        sdom: 1,
        cpid: 0x8003,
        cprv: 1,
        cpfm: 3,
        scep: 1,
        bdid: 4,
        ecid: 0x00113814246b8226n,
        ibfl: 0x1c,
        srnm: 'F2LABC',
      }),
    ).toBe('SDOM:01 CPID:8003 CPRV:01 CPFM:03 SCEP:01 BDID:04 ECID:00113814246B8226 IBFL:1C SRNM:[F2LABC]');
  });
});

describe('identity fields of the serial string', () => {
  const base = 'CPID:8960 CPRV:11 CPFM:03 SCEP:01 BDID:00 IBFL:1D';

  it('marks a malformed ECID as an invalid identity and keeps no ECID', () => {
    for (const ecid of ['../../x', '1234567890ABCDEF0', 'ZZ', '']) {
      const s = parsed(`${base} ECID:${ecid}`);
      expect(s.ecid).toBeUndefined();
      expect(s.invalidIdentity).toMatch(/ECID/);
    }
  });

  it('marks a serial number or IMEI outside its real form as an invalid identity', () => {
    expect(parsed(`${base} ECID:001A2B3C4D5E6F70 SRNM:[../../victim]`)).toMatchObject({ invalidIdentity: 'SRNM is not in its real form' });
    expect(parsed(`${base} ECID:001A2B3C4D5E6F70 SRNM:[F2LXXXXXXXX] IMEI:[12ab]`)).toMatchObject({
      invalidIdentity: 'IMEI is not in its real form',
    });
    expect(parsed(`${base} ECID:001A2B3C4D5E6F70 SRNM:[F2LXXXXXXXX] IMEI:[../../victim]`).imei).toBeUndefined();
  });

  it('leaves real strings unmarked', () => {
    expect(parsed(`${base} ECID:001A2B3C4D5E6F70 SRNM:[F2LXXXXXXXX] IMEI:[013977000000000]`).invalidIdentity).toBeUndefined();
    expect(
      parsed('CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:0C ECID:001A2B3C4D5E6F70 IBFL:3C SRTG:[iBoot-2696.0.0.1.33]').invalidIdentity,
    ).toBeUndefined();
  });
});
