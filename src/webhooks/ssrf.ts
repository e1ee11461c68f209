import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { AppError } from '../lib/errors.ts';

/**
 * The SSRF guard. A webhook URL is chosen by whoever holds an admin key, and the POST comes from
 * inside the network CapPulse runs in: without this, a URL could reach the cloud metadata
 * service or an internal admin port. Internal alerting is a real use, so config can allow
 * private addresses outright (`webhooks.allow_private`) or per host (`webhooks.allow_hosts`).
 *
 * The check runs twice: when a URL is saved (a clear error for the admin), and in the socket's
 * DNS lookup at send time, so a name that later resolves to a private address (DNS rebinding)
 * is still refused.
 */
export interface SsrfPolicy {
  allowPrivate: boolean;
  allowHosts: readonly string[];
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['64:ff9b::', 96], // NAT64 can reach IPv4 private space
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** Private, loopback, link-local or otherwise not a public unicast address. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  return blocked.check(address, 'ipv6');
}

function bareHost(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

function hostAllowed(hostname: string, policy: SsrfPolicy): boolean {
  const host = bareHost(hostname);
  return policy.allowPrivate || policy.allowHosts.some((allowed) => bareHost(allowed) === host);
}

function refusal(host: string, address: string): AppError {
  const shown = host === address ? address : `${host} (${address})`;
  return new AppError(
    'invalid_request',
    `webhook URL host ${shown} is a private, loopback or link-local address; set webhooks.allow_private: true or list the host in webhooks.allow_hosts to allow internal endpoints`,
  );
}

type Resolver = (host: string) => Promise<string[]>;

const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses.map((a) => a.address)))));

/** Checks a URL before it is saved. An unresolvable host is refused too: it cannot be checked. */
export async function assertUrlAllowed(url: string, policy: SsrfPolicy, resolve: Resolver = systemResolver): Promise<void> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new AppError('invalid_request', 'webhook URL must be http or https');
  if (parsed.username || parsed.password) throw new AppError('invalid_request', 'webhook URL must not carry credentials; the signature authenticates CapPulse');
  if (hostAllowed(parsed.hostname, policy)) return;
  const host = bareHost(parsed.hostname);
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await resolve(host);
    } catch (error) {
      throw new AppError('invalid_request', `webhook URL host ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'DNS error'})`);
    }
  }
  const bad = addresses.find(isPrivateAddress);
  if (bad !== undefined) throw refusal(host, bad);
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses private answers at connect time. Node asks for all
 * addresses when it races IPv4 and IPv6 (autoSelectFamily), so both call shapes are served.
 */
export function guardedLookup(policy: SsrfPolicy) {
  return (hostname: string, options: { all?: boolean; family?: number } | number, callback: LookupCallback): void => {
    const opts = typeof options === 'number' ? { family: options } : options;
    dnsLookup(hostname, { all: true, family: opts.family ?? 0 }, (error, addresses) => {
      if (error) return callback(error, []);
      const allowed = hostAllowed(hostname, policy);
      const usable = allowed ? addresses : addresses.filter((a) => !isPrivateAddress(a.address));
      if (usable.length === 0) {
        const refused = Object.assign(refusal(hostname, addresses[0]?.address ?? hostname), { code: 'ESSRF' });
        return callback(refused as unknown as NodeJS.ErrnoException, []);
      }
      if (opts.all) return callback(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}

/** Sockets skip `lookup` for an IP literal, so send time checks literals here. */
export function literalRefusal(hostname: string, policy: SsrfPolicy): AppError | null {
  const host = bareHost(hostname);
  if (!isIP(host) || hostAllowed(host, policy) || !isPrivateAddress(host)) return null;
  return refusal(host, host);
}
