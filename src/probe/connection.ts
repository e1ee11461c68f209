import http, { type ClientRequest, type OutgoingHttpHeaders, type RequestOptions } from 'node:http';
import https from 'node:https';
import net, { type LookupFunction } from 'node:net';
import tls from 'node:tls';
import { urlToHttpOptions } from 'node:url';
import { boundedMemo } from '../lib/memo.ts';

/**
 * A probe's request, on a connection of its own that the request opens itself, with no
 * http.Agent. Every probe opens a fresh connection and closes it after the answer (a pooled socket
 * the provider closed while idle fails on reuse, and a probe must not report that race as an
 * outage). `agent: false` gave that, but by making a new Agent per probe — an EventEmitter with
 * its socket tables, its copy of the options and its free/close handlers — only to open one
 * socket and destroy it: 8 of the 54 KiB a probe allocated at 500 in flight, and about 1 KiB of
 * what every probe in flight holds while young-generation collections copy it
 * (scripts/bench/prober.ts, BENCHMARKS.md). Without an agent, node:http asks `createConnection`
 * for the socket and sends `Connection: close`, as with `agent: false`.
 *
 * What the agent did besides that is done here: the port a URL without one means (`defaultPort`,
 * which also keeps `:443` out of the Host header) and, for TLS, the server name sent for SNI (none
 * for an IP address, as the agent does). An Agent per probe never resumed a TLS session either.
 */
export interface ProbeRequestInit {
  method: string;
  headers: OutgoingHttpHeaders;
  /** DNS lookup; tests pass one so an unresolvable host never asks a real resolver. */
  lookup?: LookupFunction;
}

/** A target's URL is parsed once, not at every probe: the same few URLs come back all the time. */
const parsedUrl = boundedMemo((text) => urlToHttpOptions(new URL(text)) as RequestOptions);

const connectTcp = (options: RequestOptions) => net.createConnection(options as net.NetConnectOpts);

/** RequestOptions' host is the bare host name by the time a connection is asked for (node:http sets it from hostname). */
const connectTls = (options: RequestOptions) => {
  const host = options.host ?? 'localhost';
  return tls.connect({ ...(options as tls.ConnectionOptions), servername: net.isIP(host) === 0 ? host : undefined });
};

/** Throws (TypeError: Invalid URL) on a URL node cannot parse, before anything is sent. */
export function openProbeRequest(url: string, init: ProbeRequestInit): { req: ClientRequest; secure: boolean } {
  const parsed = parsedUrl(url);
  const secure = parsed.protocol === 'https:';
  const options: RequestOptions = {
    ...parsed,
    method: init.method,
    headers: init.headers,
    defaultPort: secure ? 443 : 80,
    createConnection: secure ? connectTls : connectTcp,
  };
  if (init.lookup) options.lookup = init.lookup;
  return { req: (secure ? https : http).request(options), secure };
}
