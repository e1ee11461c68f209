import http, { type ClientRequest, type RequestOptions } from 'node:http';
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
 * for the socket and closes it after the answer.
 *
 * What the agent did besides that is done here: the port a URL without one means (443, 80; the
 * Host header leaves it out), `Connection: close` (in the header lines below) and, for TLS, the
 * server name sent for SNI (none for an IP address, as the agent does). An Agent per probe never
 * resumed a TLS session either. A shared Agent without keep-alive was tried instead; what it did
 * better came down to the null-prototype options it hands node:net, which socketOptions below
 * gives without an agent (BENCHMARKS.md, prober, "What young-generation collections kept").
 */
export interface ProbeRequestInit {
  method: string;
  /**
   * Sent as given; names are case-insensitive, so a later name replaces an earlier one of any
   * case (the provider's extra headers come after the adapter's). A body's length must be among
   * them: without one, a POST or PUT is sent as having none.
   */
  headers: Readonly<Record<string, string | number>>;
  /** DNS lookup; tests pass one so an unresolvable host never asks a real resolver. */
  lookup?: LookupFunction;
}

/** Where a target's URL sends a probe, worked out once per URL. */
interface Destination {
  secure: boolean;
  /** Without brackets for IPv6: what the connection is opened to. */
  hostname: string;
  /** The URL's, or the scheme's default (443, 80). */
  port: number;
  path: string;
  /** The Host header: a default port left out, IPv6 in brackets (WHATWG URL's `host`). */
  host: string;
  /** `Basic …` from credentials in the URL, as node:http sends them; null without. */
  authorization: string | null;
}

/** A target's URL is parsed once, not at every probe: the same few URLs come back all the time. */
const destination = boundedMemo((text): Destination => {
  const url = new URL(text);
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') throw new TypeError(`unsupported protocol ${url.protocol}`);
  const options = urlToHttpOptions(url);
  return {
    secure,
    hostname: options.hostname ?? url.hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    path: options.path ?? '/',
    host: url.host,
    authorization: options.auth ? `Basic ${Buffer.from(options.auth).toString('base64')}` : null,
  };
});

/**
 * The request's header lines as node:http's flat raw list ([name, value, name, value, …]), Host
 * first. Given a list, node:http writes it straight into the request head, where given an object
 * it stores each header in a table of its own first (setHeader) and adds Host itself. Without
 * that table a probe in flight holds 6.8 KiB instead of 7.8 and allocates 39.0 instead of
 * 42.3 (sampling heap profiles at 100 in flight); every young-generation collection copies what
 * probes in flight hold (scripts/bench/prober.ts, BENCHMARKS.md). What node:http did with the
 * object is done here: one line per name whatever its case (the later value wins), Host unless
 * one was given, the URL's credentials unless an Authorization header was given,
 * `Content-Length: 0` for a POST or PUT given no length (the caller gives the length of a body it
 * sends), and `Connection: close`. Names and values are checked by node:http as before (a key
 * pasted with its line break throws).
 */
export function requestHeaderLines(url: string, method: string, headers: Readonly<Record<string, string | number>>): string[] {
  return headerLines(destination(url), method, headers);
}

/** Methods node:http sends without a length or chunks when they carry no body. */
const NO_BODY_BY_DEFAULT = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

function headerLines(to: Destination, method: string, headers: Readonly<Record<string, string | number>>): string[] {
  const lines: string[] = ['Host', to.host];
  for (const name in headers) setLine(lines, name, String(headers[name]));
  if (to.authorization !== null && indexOfLine(lines, 'authorization') === lines.length) lines.push('Authorization', to.authorization);
  // node:http writes a listed head before end() tells it the body's length, and would send an
  // empty POST chunked; given an object it said Content-Length: 0.
  if (!NO_BODY_BY_DEFAULT.has(method.toUpperCase()) && indexOfLine(lines, 'content-length') === lines.length) lines.push('Content-Length', '0');
  // Given a list, node:http writes the head before it knows there is no agent, and would say
  // keep-alive; the connection is the probe's alone and closes after the answer.
  setLine(lines, 'Connection', 'close');
  return lines;
}

/** Where the line of this (lower-case) name is, or lines.length when there is none. */
function indexOfLine(lines: readonly string[], lower: string): number {
  let i = 0;
  while (i < lines.length && lines[i]!.toLowerCase() !== lower) i += 2;
  return i;
}

function setLine(lines: string[], name: string, value: string): void {
  const i = indexOfLine(lines, name.toLowerCase());
  lines[i] = name;
  lines[i + 1] = value;
}

/**
 * What node:net and node:tls need of the request's options, in an object without a prototype.
 * node:http hands createConnection an ordinary object (its own copy of the request's options), and
 * node:net copies whatever it is given with a spread. Measured, not explained: with an ordinary
 * object, each connection's socket, request and answer lingered past young-generation collections
 * until they were promoted (about 0.5 MB per collection at 100 probes in flight, the bare node:http
 * loop 10-90 KB); with a null-prototype object, as node's own Agent passes, they do not. A script
 * of a few lines shows it with net.createConnection alone (BENCHMARKS.md, prober, "What
 * young-generation collections kept"). node:tls makes an ordinary copy of its options itself, so
 * over TLS this changes nothing, for a probe or for node's own Agent.
 */
function socketOptions(options: RequestOptions): net.TcpNetConnectOpts {
  const socket: net.TcpNetConnectOpts = { __proto__: null, host: options.host ?? 'localhost', port: Number(options.port) } as net.TcpNetConnectOpts;
  if (options.lookup) socket.lookup = options.lookup;
  return socket;
}

const connectTcp = (options: RequestOptions) => net.createConnection(socketOptions(options));

/** RequestOptions' host is the bare host name by the time a connection is asked for (node:http sets it from hostname). */
const connectTls = (options: RequestOptions) => {
  const socket: tls.ConnectionOptions = socketOptions(options);
  // The server name for SNI, as node's https.Agent sends it: none for an IP address.
  if (net.isIP(socket.host!) === 0) socket.servername = socket.host;
  return tls.connect(socket);
};

/**
 * Throws (TypeError) on a URL node cannot parse or a scheme other than http and https, and
 * (node:http's TypeError) on a header name or value it would not send, before anything is sent.
 * The options hold only what node:http needs: it copies them twice per request. The socket gets
 * only what it needs of them (socketOptions).
 */
export function openProbeRequest(url: string, init: ProbeRequestInit): { req: ClientRequest; secure: boolean } {
  const to = destination(url);
  const options: RequestOptions = {
    hostname: to.hostname,
    port: to.port,
    path: to.path,
    method: init.method,
    headers: headerLines(to, init.method, init.headers),
    createConnection: to.secure ? connectTls : connectTcp,
  };
  if (init.lookup) options.lookup = init.lookup;
  return { req: (to.secure ? https : http).request(options), secure: to.secure };
}
