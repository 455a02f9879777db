import { describe, expect, it } from 'vitest';
import { parseAppleCatalog } from '../../../main/firmware/catalog-apple';
import { parseIpswMeDevice } from '../../../main/firmware/catalog-ipswme';
import { firmwareFileName } from '../../../main/firmware/firmware-catalog';
import { bypassesProxy, proxyFor } from '../../../main/net/proxy-environment';
import { decodePlist, encodeXmlPlist } from '../../../main/plist/plist-codec';
import type { PlistDict } from '../../../main/plist/plist-value';
import { appleCatalogPlist, ipswMeDeviceJson, type FakeFirmware } from '../../../main/sim/fake-apple-servers';

const sha = (c: string): string => c.repeat(40);
const firmware = (version: string, build: string, signed: boolean): FakeFirmware => ({
  productTypes: ['iPhone6,1', 'iPhone6,2'],
  boards: [{ boardConfig: 'n51ap', cpid: 0x8960, bdid: 0 }],
  version,
  build,
  fileName: `iPhone_4.0_64bit_${version}_${build}_Restore.ipsw`,
  size: 1000,
  sha1: sha(build.at(-1)!.toLowerCase()),
  signed,
});
const url = (f: FakeFirmware): string => `https://updates.cdn-apple.com/${f.build}/${f.fileName}`;

describe('Apple catalog (version.xml)', () => {
  it('lists the builds for a ProductType from the highest schema, marking the current one', () => {
    const plist = appleCatalogPlist([firmware('12.5.7', '16H81', false), firmware('12.5.8', '16H88', true)], url);
    const { entries, warnings } = parseAppleCatalog(plist, 'iPhone6,1');
    expect(warnings).toEqual([]);
    expect(entries.map((e) => [e.version, e.build, e.current, e.sha1])).toEqual(
      expect.arrayContaining([
        ['12.5.8', '16H88', true, sha('8')],
        ['12.5.7', '16H81', false, sha('1')],
      ]),
    );
    expect(entries).toHaveLength(2);
  });

  it('follows SameAs, skips protected:// URLs and notes entries with missing or odd fields', () => {
    const plist: PlistDict = {
      MobileDeviceSoftwareVersionsByVersion: {
        '3': {
          MobileDeviceSoftwareVersions: {
            'iPhone6,1': {
              Unknown: { Universal: { Restore: { BuildVersion: '16H88' } } },
              '16H88': {
                Restore: { BuildVersion: '16H88', ProductVersion: '12.5.8', FirmwareURL: 'https://x/a.ipsw', FirmwareSHA1: 'nothex' },
              },
              '16G77': { SameAs: '16H88' },
              '15A1': { Restore: { BuildVersion: '15A1', ProductVersion: '11.0', FirmwareURL: 'protected://x/b.ipsw' } },
              '14A1': { Restore: { ProductVersion: '10.0' } },
              '13A1': 'odd',
            },
          },
        },
      },
    };
    const { entries, warnings } = parseAppleCatalog(plist, 'iPhone6,1');
    expect(entries).toEqual([
      { productType: 'iPhone6,1', version: '12.5.8', build: '16H88', url: 'https://x/a.ipsw', sha1: null, current: true },
    ]);
    expect(warnings.join(' ')).toMatch(/malformed SHA-1/);
    expect(warnings.join(' ')).toMatch(/14A1 .* lacks a build, version or URL/);
  });

  it('says so when the product or the whole structure is missing', () => {
    expect(parseAppleCatalog({}, 'iPhone6,1').warnings[0]).toMatch(/no MobileDeviceSoftwareVersionsByVersion/);
    expect(parseAppleCatalog(appleCatalogPlist([firmware('12.5.8', '16H88', true)], url), 'iPhone99,1').warnings[0]).toMatch(
      /does not list iPhone99,1/,
    );
  });

  it('round-trips through the XML plist codec as the fake server sends it', () => {
    const plist = appleCatalogPlist([firmware('12.5.8', '16H88', true)], url);
    expect(parseAppleCatalog(decodePlist(encodeXmlPlist(plist)), 'iPhone6,2').entries[0]?.build).toBe('16H88');
  });
});

describe('ipsw.me v4 device JSON', () => {
  it('reads boards and firmwares with signed flags, sizes and hashes', () => {
    const json = ipswMeDeviceJson('iPhone6,1', [firmware('12.5.7', '16H81', false), firmware('12.5.8', '16H88', true)], url);
    const result = parseIpswMeDevice(json, 'iPhone6,1');
    expect(result.boards).toEqual([{ boardConfig: 'n51ap', cpid: 0x8960, bdid: 0 }]);
    expect(result.entries.map((e) => [e.version, e.signed, e.size])).toEqual([
      ['12.5.8', true, 1000],
      ['12.5.7', false, 1000],
    ]);
    expect(result.warnings).toEqual([]);
  });

  it('skips firmwares with missing or odd fields and says how many', () => {
    const json = {
      identifier: 'iPhone6,1',
      boardconfig: 'N51AP',
      firmwares: [
        { version: '12.5.8', buildid: '16H88', url: 'https://x/a.ipsw', sha1sum: 'short', signed: 'yes' },
        { version: '12.5.8', buildid: '16H88', url: 'https://x/a.ipsw', sha1sum: 'SHORT' },
        { version: '12.5.7', url: 'https://x/b.ipsw' },
        { version: '1', buildid: '1A1', url: 'ftp://x' },
        null,
      ],
    };
    const result = parseIpswMeDevice(json, 'iPhone6,1');
    expect(result.entries).toEqual([
      {
        productType: 'iPhone6,1',
        version: '12.5.8',
        build: '16H88',
        url: 'https://x/a.ipsw',
        sha1: null,
        sha256: null,
        size: null,
        signed: null,
        releaseDate: null,
      },
    ]);
    expect(result.boards).toEqual([{ boardConfig: 'n51ap', cpid: null, bdid: null }]);
    expect(result.warnings[0]).toMatch(/4 firmware entries with missing or odd fields/);
  });

  it('rejects an answer for another device or of the wrong shape', () => {
    expect(parseIpswMeDevice({ identifier: 'iPhone7,2', firmwares: [] }, 'iPhone6,1').warnings[0]).toMatch(/instead of iPhone6,1/);
    expect(parseIpswMeDevice([1, 2], 'iPhone6,1').warnings[0]).toMatch(/does not understand/);
  });
});

describe('firmware file names', () => {
  it('keeps a plain .ipsw name from the URL and makes a safe one otherwise', () => {
    expect(
      firmwareFileName({
        url: 'https://u/x/iPhone_4.0_64bit_12.5.8_16H88_Restore.ipsw',
        productType: 'iPhone6,1',
        version: '12.5.8',
        build: '16H88',
      }),
    ).toBe('iPhone_4.0_64bit_12.5.8_16H88_Restore.ipsw');
    expect(firmwareFileName({ url: 'https://u/x/..%2F..%2Fevil', productType: 'iPhone6,1', version: '12/5', build: '16H88' })).toBe(
      'iPhone6,1_12_5_16H88_Restore.ipsw',
    );
  });
});

describe('proxy environment', () => {
  const env = { HTTPS_PROXY: 'http://proxy.local:3128', http_proxy: 'proxy.local:8080', NO_PROXY: 'internal.example, .corp.example:443' };
  it('picks the proxy by scheme and honours NO_PROXY suffixes and ports', () => {
    expect(proxyFor(new URL('https://updates.cdn-apple.com/a'), env)?.href).toBe('http://proxy.local:3128/');
    expect(proxyFor(new URL('http://itunes.apple.com/check/version'), env)?.href).toBe('http://proxy.local:8080/');
    expect(proxyFor(new URL('https://a.internal.example/x'), env)).toBeNull();
    expect(proxyFor(new URL('https://b.corp.example/x'), env)).toBeNull();
    expect(proxyFor(new URL('http://b.corp.example/x'), env)?.host).toBe('proxy.local:8080');
  });
  it('never proxies loopback and treats * as no proxy at all', () => {
    expect(bypassesProxy(new URL('http://127.0.0.1:9/x'), env)).toBe(true);
    expect(proxyFor(new URL('https://api.ipsw.me/v4'), { ...env, NO_PROXY: '*' })).toBeNull();
    expect(proxyFor(new URL('https://api.ipsw.me/v4'), {})).toBeNull();
  });
});
