/**
 * Where Lifeline may connect, and how much it may take: one policy for the firmware catalogs, firmware downloads
 * and the signing server (docs/network-policy.md). https only, to a short list of Apple and ipsw.me hosts, checked
 * for the first URL and every redirect; plain http only to loopback (local fakes, practice mode, tests).
 */

/** The hosts Lifeline's own work needs, exactly (no wildcard: a new Apple host is a reviewed change). */
export const ALLOWED_HOSTS: readonly string[] = [
  // Apple's restore catalog (version.xml) and where it redirects.
  'itunes.apple.com',
  's.mzstatic.com',
  // Firmware files as Apple's catalog and ipsw.me list them.
  'updates.cdn-apple.com',
  'secure-appldnld.apple.com',
  'appldnld.apple.com',
  'mesu.apple.com',
  // The signing server (TSS).
  'gs.apple.com',
  // ipsw.me's v4 API.
  'api.ipsw.me',
];

/** Hosts catalogs still name with http:// whose https twin serves the same paths. */
const HTTPS_TWINS: Readonly<Record<string, string>> = { 'updates-http.cdn-apple.com': 'updates.cdn-apple.com' };

/** Size ceilings, enforced while streaming (a missing or lying Content-Length changes nothing). */
export const BYTE_CAPS = {
  appleCatalog: 32 * 1024 * 1024,
  ipswmeDevice: 8 * 1024 * 1024,
  tssReply: 4 * 1024 * 1024,
  /** An IPSW when no catalog gives its size (with a size, that size is the cap). */
  ipsw: 20 * 1024 * 1024 * 1024,
} as const;

/** The environment variables that point Lifeline's endpoints elsewhere; their hosts join the allowlist. */
export const ENDPOINT_OVERRIDES = ['LIFELINE_APPLE_CATALOG_URL', 'LIFELINE_IPSWME_URL', 'LIFELINE_TSS_URL'] as const;

export type NetworkPolicy = {
  /** `host` (default port) or `host:port`, lower case. Loopback is always allowed. */
  allowedHosts: readonly string[];
};

/** A URL the policy refuses: never retried, never sent anywhere. */
export class NetworkPolicyError extends Error {
  readonly retriable = false;
  constructor(
    message: string,
    readonly url: string,
  ) {
    super(message);
    this.name = 'NetworkPolicyError';
  }
}

/** localhost, 127.0.0.0/8 and ::1 — the only hosts plain http may reach. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return octets !== null && octets[1] === '127' && octets.slice(2).every((o) => Number(o) <= 255);
}

/** The default allowlist plus the hosts of any endpoint override the person set (LIFELINE_*_URL). */
export function networkPolicyFromEnv(env: Record<string, string | undefined> = process.env): NetworkPolicy {
  return allowingEndpoints(
    { allowedHosts: ALLOWED_HOSTS },
    ENDPOINT_OVERRIDES.map((name) => env[name]),
  );
}

/** `policy` plus the hosts of configured https endpoints (settings, never URLs a server sent). */
export function allowingEndpoints(policy: NetworkPolicy, endpoints: readonly (string | undefined)[]): NetworkPolicy {
  const extra: string[] = [];
  for (const raw of endpoints) {
    if (!raw?.trim()) continue;
    try {
      const url = new URL(raw.trim());
      if (url.protocol === 'https:' && !policy.allowedHosts.includes(url.host.toLowerCase())) extra.push(url.host.toLowerCase());
    } catch {
      /* an unusable endpoint is refused where it is used */
    }
  }
  return extra.length === 0 ? policy : { allowedHosts: [...policy.allowedHosts, ...extra] };
}

/**
 * Throws NetworkPolicyError unless `url` may be fetched under `policy`. `from` is the URL that redirected here:
 * a redirect may never go from https to http, not even to loopback.
 */
export function checkUrl(url: URL, policy: NetworkPolicy, from?: URL): void {
  const where = `${url.protocol}//${url.host}`;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new NetworkPolicyError(`${url.protocol} URLs are not allowed`, url.href);
  if (url.username || url.password) throw new NetworkPolicyError(`${where}: credentials in a URL are not allowed`, url.href);
  if (from?.protocol === 'https:' && url.protocol === 'http:') {
    throw new NetworkPolicyError(`${from.host} redirected to plain http (${where}); refused`, url.href);
  }
  if (isLoopbackHost(url.hostname)) return;
  if (url.protocol !== 'https:') throw new NetworkPolicyError(`${where}: only https is allowed beyond this computer`, url.href);
  const host = url.host.toLowerCase().replace(/\.$/, '');
  if (!policy.allowedHosts.includes(host)) {
    throw new NetworkPolicyError(
      `${url.host} is not one of the hosts Lifeline talks to${from ? ` (redirected from ${from.host})` : ''}`,
      url.href,
    );
  }
}

/**
 * A firmware URL from a catalog as Lifeline will fetch it: http upgraded to https (to the https twin where one is
 * known), then checked. null = the policy refuses it (the catalog entry is skipped).
 */
export function secureCatalogUrl(raw: string, policy: NetworkPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    url.protocol = 'https:';
    const twin = HTTPS_TWINS[url.hostname.toLowerCase()];
    if (twin) url.hostname = twin;
  }
  try {
    checkUrl(url, policy);
    return url.href;
  } catch {
    return null;
  }
}
