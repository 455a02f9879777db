import { describe, expect, it } from 'vitest';
import {
  ALLOWED_HOSTS,
  checkUrl,
  isLoopbackHost,
  NetworkPolicyError,
  networkPolicyFromEnv,
  secureCatalogUrl,
} from '../../../main/net/network-policy';
import { bypassesProxy } from '../../../main/net/proxy-environment';

const policy = networkPolicyFromEnv({});
const refusal = (url: string, from?: string): string => {
  try {
    checkUrl(new URL(url), policy, from ? new URL(from) : undefined);
  } catch (error) {
    return error instanceof NetworkPolicyError ? error.message : `unexpected ${String(error)}`;
  }
  return 'allowed';
};

describe('network policy', () => {
  it('allows https to the listed Apple and ipsw.me hosts on their default port only', () => {
    for (const host of ALLOWED_HOSTS) expect(refusal(`https://${host}/x`), host).toBe('allowed');
    expect(refusal('https://GS.apple.com./TSS/controller?action=2')).toBe('allowed');
    expect(refusal('https://gs.apple.com:8443/')).toMatch(/not one of the hosts/);
    expect(refusal('https://evil.example.com/x.ipsw')).toMatch(/not one of the hosts/);
    expect(refusal('https://apple.com.evil.example/x')).toMatch(/not one of the hosts/);
  });

  it('refuses plain http beyond this computer, and allows it to loopback only', () => {
    expect(refusal('http://updates.cdn-apple.com/x.ipsw')).toMatch(/only https/);
    expect(refusal('http://10.0.0.1/x')).toMatch(/only https/);
    for (const url of ['http://127.0.0.1:9/v', 'http://127.8.0.1/', 'http://localhost:8/', 'http://[::1]:7/'])
      expect(refusal(url), url).toBe('allowed');
    expect(refusal('http://128.0.0.1/')).toMatch(/only https/);
    expect(refusal('ftp://127.0.0.1/x')).toMatch(/not allowed/);
  });

  it('refuses a redirect from https to http, even to loopback', () => {
    expect(refusal('http://127.0.0.1:9/x', 'https://127.0.0.1:8/')).toMatch(/redirected to plain http/);
    expect(refusal('https://127.0.0.1:9/x', 'https://updates.cdn-apple.com/')).toBe('allowed');
    expect(refusal('https://evil.example.com/x', 'https://updates.cdn-apple.com/')).toMatch(/redirected from updates.cdn-apple.com/);
  });

  it('refuses credentials in a URL', () => {
    expect(refusal('https://user:pw@gs.apple.com/')).toMatch(/credentials/);
  });

  it('adds the hosts of https endpoint overrides, never of http ones', () => {
    const custom = networkPolicyFromEnv({
      LIFELINE_TSS_URL: 'https://tss.example.org:8443/TSS',
      LIFELINE_IPSWME_URL: 'http://mirror.example.org/v4',
    });
    expect(() => checkUrl(new URL('https://tss.example.org:8443/TSS'), custom)).not.toThrow();
    expect(() => checkUrl(new URL('https://mirror.example.org/v4'), custom)).toThrow(NetworkPolicyError);
  });

  it('upgrades catalog URLs to https (to the https twin where Apple has one) and drops those it refuses', () => {
    expect(secureCatalogUrl('http://appldnld.apple.com/ios12/x.ipsw', policy)).toBe('https://appldnld.apple.com/ios12/x.ipsw');
    expect(secureCatalogUrl('http://updates-http.cdn-apple.com/2019/x.ipsw', policy)).toBe('https://updates.cdn-apple.com/2019/x.ipsw');
    expect(secureCatalogUrl('http://127.0.0.1:5/cdn/x.ipsw', policy)).toBe('http://127.0.0.1:5/cdn/x.ipsw');
    expect(secureCatalogUrl('https://evil.example.com/x.ipsw', policy)).toBeNull();
    expect(secureCatalogUrl('not a url', policy)).toBeNull();
  });

  it('knows loopback the same way for the policy and the proxy bypass', () => {
    expect(isLoopbackHost('127.0.0.5')).toBe(true);
    expect(isLoopbackHost('127.0.0.256')).toBe(false);
    expect(bypassesProxy(new URL('https://127.0.0.5/'), { HTTPS_PROXY: 'http://proxy:3128' })).toBe(true);
  });
});
