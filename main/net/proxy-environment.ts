import { isLoopbackHost } from './network-policy';

/**
 * The proxy a request should use, from the standard environment variables (curl's conventions):
 * HTTPS_PROXY / https_proxy for https URLs, HTTP_PROXY / http_proxy for http ones, ALL_PROXY as a fallback,
 * NO_PROXY / no_proxy = comma-separated hosts or domain suffixes (`*` = none). Loopback hosts never use a proxy
 * (our own local fakes, the practice-mode servers).
 */
export type ProxyEnvironment = Record<string, string | undefined>;

function variable(env: ProxyEnvironment, name: string): string | undefined {
  const value = env[name] ?? env[name.toLowerCase()];
  return value && value.trim() !== '' ? value.trim() : undefined;
}

export function bypassesProxy(url: URL, env: ProxyEnvironment): boolean {
  const host = url.hostname.toLowerCase();
  if (isLoopbackHost(host)) return true;
  const noProxy = variable(env, 'NO_PROXY');
  if (!noProxy) return false;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(',')) {
    const rule = raw.trim().toLowerCase();
    if (rule === '') continue;
    if (rule === '*') return true;
    const [ruleHost, rulePort] = rule.startsWith('[') ? [rule, undefined] : (rule.split(':') as [string, string | undefined]);
    if (rulePort !== undefined && rulePort !== port) continue;
    const suffix = ruleHost.replace(/^\*?\./, '');
    if (host === suffix || host.endsWith(`.${suffix}`)) return true;
  }
  return false;
}

export function proxyFor(url: URL, env: ProxyEnvironment = process.env): URL | null {
  if (bypassesProxy(url, env)) return null;
  const raw = url.protocol === 'https:' ? variable(env, 'HTTPS_PROXY') : variable(env, 'HTTP_PROXY');
  const chosen = raw ?? variable(env, 'ALL_PROXY');
  if (!chosen) return null;
  try {
    const proxy = new URL(chosen.includes('://') ? chosen : `http://${chosen}`);
    return proxy.protocol === 'http:' || proxy.protocol === 'https:' ? proxy : null;
  } catch {
    return null;
  }
}
