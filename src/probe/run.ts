import { randomUUID } from 'node:crypto';
import http, { type IncomingHttpHeaders, type RequestOptions } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { urlToHttpOptions } from 'node:url';
import { providerSecrets } from '../config/secrets.ts';
import type { ProviderKind } from '../config/schema.ts';
import type { ResolvedTarget } from '../config/targets.ts';
import type { Clock } from '../lib/clock.ts';
import { whenAborted } from '../lib/abort-listeners.ts';
import { afterIo } from '../lib/after-io.ts';
import { boundedMemo } from '../lib/memo.ts';
import { USER_AGENT } from '../version.ts';
import type { BodyReader, ProbeAdapter, ReadOutcome } from './adapter.ts';
import { ADAPTERS } from './adapters/registry.ts';
import { classifyHttpFailure, classifyNetworkError, shorten, type Failure } from './classify.ts';
import { parseRateLimit } from './rate-limit.ts';
import { scrubSecrets } from './scrub.ts';
import type { ProbeResult, RateLimitSnapshot } from './types.ts';

/**
 * One probe: send the adapter's request over node:http(s), time it inside the request, enforce
 * the three deadlines, and turn whatever happens into a ProbeResult (never an exception).
 *
 * Every probe opens its own connection (no keep-alive pool): a pooled socket that the server
 * closed while idle fails on reuse, and a probe must not report that race as a provider outage.
 * Timings start when the socket is connected and the request goes out ("request sent",
 * DESIGN.md §4), so connection setup is bounded by the connect timeout but not counted in ttfb,
 * ttft or latency. node:http rather than global fetch: scripts/bench/prober.ts measured fetch
 * at ~2.5x the CPU per request and a far larger tail bias under load.
 */
export interface ProbeDeps {
  clock: Clock;
  adapters?: Readonly<Record<ProviderKind, ProbeAdapter>>;
  /** DNS lookup; tests pass one so an unresolvable host never asks a real resolver. */
  lookup?: LookupFunction;
  nonce?: () => string;
}

const ERROR_BODY_KEPT = 16_384;
const REQUEST_ID_HEADERS = ['x-request-id', 'request-id', 'x-goog-request-id', 'apim-request-id'];

function requestIdHeader(headers: IncomingHttpHeaders): string | null {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}

const ms = (value: number) => Math.round(value * 1000) / 1000;

/** A target's URL is parsed once, not at every probe: the same few URLs come back all the time. */
const requestUrl = boundedMemo((text) => urlToHttpOptions(new URL(text)) as RequestOptions);

export function runProbe(target: ResolvedTarget, deps: ProbeDeps, signal?: AbortSignal): Promise<ProbeResult> {
  const { clock } = deps;
  const adapter = (deps.adapters ?? ADAPTERS)[target.provider.kind];
  const startedAt = clock.now();
  const secrets = providerSecrets(target.provider);
  const spec = adapter.buildRequest(target, deps.nonce?.() ?? randomUUID().slice(0, 13));

  return new Promise<ProbeResult>((resolve) => {
    let sentAt: number | null = null;
    let ttfbAt: number | null = null;
    let reader: BodyReader | null = null;
    let status: number | null = null;
    let answer: { headers: IncomingHttpHeaders; at: number } | null = null;
    let settled = false;
    let forgetAbort = () => {};
    const timers = new Set<NodeJS.Timeout>();

    // Everything that happens once the answer starts arriving is stamped when it happens and
    // handled in a later turn (src/lib/after-io.ts), in order: parsing this answer must not
    // delay the timestamps of the answers read after it. A deadline or an abort handles what is
    // already stamped before it decides, so an answer that came in time is never a timeout.
    const backlog: Array<() => void> = [];
    const drain = () => {
      for (let i = 0; i < backlog.length; i += 1) backlog[i]!();
      backlog.length = 0;
    };
    const later = (work: () => void) => {
      if (backlog.push(work) === 1) afterIo(drain);
    };

    const arm = (after: number, why: string) => {
      const timer = setTimeout(() => {
        drain();
        if (!settled && timers.has(timer)) fail({ errorClass: 'timeout', message: why });
      }, after);
      timers.add(timer);
      return timer;
    };
    const disarm = (timer: NodeJS.Timeout | undefined) => {
      if (timer === undefined) return;
      clearTimeout(timer);
      timers.delete(timer);
    };

    const settle = (outcome: ReadOutcome, endAt: number) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      forgetAbort();
      const since = (at: number | null) => (at === null || sentAt === null ? null : ms(at - sentAt));
      const { failure } = outcome;
      const firstToken = adapter.measuresTokens ? (reader?.firstTokenAt ?? null) : null;
      const rateLimit: RateLimitSnapshot | null = answer === null ? null : parseRateLimit(answer.headers, answer.at);
      const headerId = answer === null ? null : requestIdHeader(answer.headers);
      const id = headerId ?? outcome.responseId;
      resolve({
        startedAt,
        ok: failure === null,
        errorClass: failure?.errorClass ?? null,
        httpStatus: status,
        latencyMs: since(endAt),
        ttftMs: since(firstToken),
        ttfbMs: since(ttfbAt),
        outputTokens: outcome.outputTokens,
        requestId: id === null ? null : scrubSecrets(id, secrets).slice(0, 128),
        rateLimit,
        errorMessage: failure === null ? null : shorten(scrubSecrets(failure.message, secrets)),
      });
    };
    const fail = (failure: Failure) => {
      settle({ failure, outputTokens: null, responseId: null }, clock.monotonic());
      req.destroy();
    };
    const onAbort = () => {
      drain();
      fail({ errorClass: 'network', message: 'probe abandoned: CapPulse is stopping' });
    };

    let url: RequestOptions;
    try {
      url = requestUrl(spec.url);
    } catch {
      resolve({ startedAt, ok: false, errorClass: 'client_error', httpStatus: null, latencyMs: null, ttftMs: null, ttfbMs: null, outputTokens: null, requestId: null, rateLimit: null, errorMessage: 'invalid request URL' });
      return;
    }
    const headers: Record<string, string | number> = { 'user-agent': USER_AGENT, ...spec.headers };
    if (spec.body !== undefined) headers['content-length'] = Buffer.byteLength(spec.body);
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request({ ...url, method: spec.method, headers, agent: false, ...(deps.lookup ? { lookup: deps.lookup } : {}) });

    const { connectMs, firstTokenMs, totalMs } = target.timeouts;
    arm(totalMs, `no complete answer within the total timeout (${totalMs} ms)`);
    const connectTimer = arm(connectMs, `no connection within the connect timeout (${connectMs} ms)`);
    let firstTokenTimer: NodeJS.Timeout | undefined;

    req.on('socket', (socket) => {
      const connected = () => {
        sentAt = clock.monotonic();
        disarm(connectTimer);
        firstTokenTimer = arm(firstTokenMs, `no first token within the first-token timeout (${firstTokenMs} ms)`);
      };
      if (!socket.connecting) connected();
      else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', connected);
    });

    req.on('response', (res) => {
      ttfbAt = clock.monotonic();
      // Resets count from when the answer came, not from when its headers are parsed.
      const answeredAt = clock.now();
      const end = endOfStream();
      let onChunk = (_chunk: string, _at: number) => {};
      let onEnd = (_at: number) => {};
      const cut = (error?: Error) => {
        const code = (error as NodeJS.ErrnoException | undefined)?.code;
        fail({ errorClass: 'network', message: `stream cut mid-way${code ? ` (${code})` : ''}` });
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = end.arrived();
        later(() => onChunk(chunk, at));
      });
      res.on('end', () => {
        const at = end.at();
        later(() => onEnd(at));
      });
      res.on('error', (error) => later(() => cut(error)));
      res.on('close', () => {
        const complete = res.complete;
        later(() => {
          if (!complete) cut();
        });
      });

      later(() => {
        status = res.statusCode ?? null;
        // The rate-limit headers and request id are parsed in settle, after the end is timed.
        answer = { headers: res.headers, at: answeredAt };
        if (status !== null && adapter.isExpectedStatus(status, target)) {
          const body = adapter.createReader(target);
          reader = body;
          if (!adapter.measuresTokens) disarm(firstTokenTimer);
          onChunk = (chunk, at) => {
            body.feed(chunk, at);
            if (body.firstTokenAt !== null) disarm(firstTokenTimer);
            if (body.failure) fail(body.failure);
          };
          onEnd = (at) => settle(body.finish(), at);
          return;
        }
        // An error answer is still an answer: only the total deadline applies to reading it.
        disarm(firstTokenTimer);
        let text = '';
        onChunk = (chunk) => {
          if (text.length < ERROR_BODY_KEPT) text += chunk.slice(0, ERROR_BODY_KEPT - text.length);
        };
        onEnd = (at) => settle({ failure: classifyHttpFailure(status ?? 0, text), outputTokens: null, responseId: null }, at);
      });
    });

    /**
     * When a stream's end is read together with its last bytes (the common case: one read, and
     * 'end' follows on a later tick), the stream ended when those bytes arrived; the ticks in
     * between are ours, not the provider's. An end read later (a separate packet, after the
     * event loop turned) is timed when it is seen.
     */
    const endOfStream = () => {
      let lastAt = 0;
      let sameTurn = false;
      return {
        arrived() {
          lastAt = clock.monotonic();
          if (!sameTurn) {
            sameTurn = true;
            setImmediate(() => (sameTurn = false));
          }
          return lastAt;
        },
        at: () => (sameTurn ? lastAt : clock.monotonic()),
      };
    };

    req.on('error', (error) => {
      if (ttfbAt === null) return fail(classifyNetworkError(error));
      later(() => fail({ errorClass: 'network', message: `stream cut mid-way (${(error as NodeJS.ErrnoException).code ?? 'error'})` }));
    });

    if (signal?.aborted) return onAbort();
    if (signal) forgetAbort = whenAborted(signal, onAbort);
    req.end(spec.body);
  });
}
