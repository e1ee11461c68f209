import { randomUUID } from 'node:crypto';
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { LookupFunction } from 'node:net';
import type { ProviderKind } from '../config/schema.ts';
import type { ResolvedTarget } from '../config/targets.ts';
import type { Clock } from '../lib/clock.ts';
import { whenAborted } from '../lib/abort-listeners.ts';
import { afterIo } from '../lib/after-io.ts';
import { USER_AGENT } from '../version.ts';
import type { BodyReader, ProbeAdapter, ReadOutcome } from './adapter.ts';
import { ADAPTERS } from './adapters/registry.ts';
import { openProbeRequest } from './connection.ts';
import { classifyHttpFailure, classifyNetworkError, shorten, type Failure } from './classify.ts';
import { parseRateLimit } from './rate-limit.ts';
import { scrubSecrets, secretForms } from './scrub.ts';
import type { ProbeResult, RateLimitSnapshot } from './types.ts';

/**
 * One probe: send the adapter's request over node:http(s), time it inside the request, enforce
 * the three deadlines, and turn whatever happens into a ProbeResult (never an exception).
 *
 * Every probe opens its own connection (no keep-alive pool, no agent: ./connection.ts).
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

/**
 * Why node:http refused to build the request. A header it will not send is usually a key pasted
 * with its line break; node's message names the header, never its value.
 */
function notSent(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ERR_INVALID_CHAR' || code === 'ERR_INVALID_HTTP_TOKEN') return `request not sent: ${(error as Error).message}`;
  return 'invalid request URL';
}

export function runProbe(target: ResolvedTarget, deps: ProbeDeps, signal?: AbortSignal): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => new ProbeRun(target, deps, resolve).start(signal));
}

type Deadline = 'connect' | 'firstToken' | 'total';
const DEADLINE_WHY: Record<Deadline, (ms: number) => string> = {
  connect: (ms) => `no connection within the connect timeout (${ms} ms)`,
  firstToken: (ms) => `no first token within the first-token timeout (${ms} ms)`,
  total: (ms) => `no complete answer within the total timeout (${ms} ms)`,
};
const DEADLINES = Object.keys(DEADLINE_WHY) as Deadline[];
const DEADLINE_LIMIT = { connect: 'connectMs', firstToken: 'firstTokenMs', total: 'totalMs' } as const satisfies Record<Deadline, string>;

/** The deadline timer's callback: a module function given the probe, not a closure per probe. */
function deadlineTimer(run: ProbeRun): void {
  run.onDeadlineTimer();
}

/**
 * One probe's state. A class rather than closures: a probe's handlers are its methods, so a
 * probe allocates a few small objects instead of a dozen closures (and, under tsx and the
 * bundle's keepNames, a name property defined on each), which kept the young generation
 * collecting more often than the bare node:http loop's (scripts/bench/prober.ts, BENCHMARKS.md).
 *
 * Everything that happens once the answer starts arriving is stamped when it happens and
 * handled in a later turn (src/lib/after-io.ts), in order: parsing this answer must not delay
 * the timestamps of the answers read after it. A deadline or an abort first handles what is
 * already stamped, so an answer that came in time is never a timeout.
 */
class ProbeRun {
  private readonly clock: Clock;
  private readonly adapter: ProbeAdapter;
  private readonly startedAt: number;
  private readonly secrets: readonly string[];
  private req: ClientRequest | null = null;
  private sentAt: number | null = null;
  private ttfbAt: number | null = null;
  private reader: BodyReader | null = null;
  private errorBody: string | null = null;
  private status: number | null = null;
  private answer: { headers: IncomingHttpHeaders; at: number } | null = null;
  private settled = false;
  private forgetAbort: (() => void) | null = null;
  /**
   * When each armed deadline falls (performance.now(), the timers' own real clock). One timer
   * serves all three, set for the earliest: a probe in flight holds one Timeout instead of up to
   * three, each with its closure, and what probes in flight hold is what every young-generation
   * collection copies (BENCHMARKS.md, prober). A deadline disarmed before its timer fires leaves
   * the timer set: it fires early, finds nothing due and moves on to the next.
   */
  private readonly deadlines: Record<Deadline, number | null> = { connect: null, firstToken: null, total: null };
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private readonly backlog: Array<() => void> = [];
  /** The last bytes' arrival, and whether the event loop has turned since (see end()). */
  private lastAt = 0;
  private sameTurn = false;

  constructor(
    private readonly target: ResolvedTarget,
    private readonly deps: ProbeDeps,
    private readonly resolve: (result: ProbeResult) => void,
  ) {
    this.clock = deps.clock;
    this.adapter = (deps.adapters ?? ADAPTERS)[target.provider.kind];
    this.startedAt = this.clock.now();
    this.secrets = secretForms(target.provider);
  }

  start(signal: AbortSignal | undefined): void {
    const { target, deps } = this;
    const spec = this.adapter.buildRequest(target, deps.nonce?.() ?? randomUUID().slice(0, 13));
    const headers: Record<string, string | number> = { 'user-agent': USER_AGENT, ...spec.headers };
    if (spec.body !== undefined) headers['content-length'] = Buffer.byteLength(spec.body);
    let opened: ReturnType<typeof openProbeRequest>;
    try {
      opened = openProbeRequest(spec.url, { method: spec.method, headers, ...(deps.lookup ? { lookup: deps.lookup } : {}) });
    } catch (error) {
      this.settled = true;
      this.resolve({ startedAt: this.startedAt, ok: false, errorClass: 'client_error', httpStatus: null, latencyMs: null, ttftMs: null, ttfbMs: null, outputTokens: null, requestId: null, rateLimit: null, errorMessage: shorten(scrubSecrets(notSent(error), this.secrets)) });
      return;
    }
    const { req, secure } = opened;
    this.req = req;
    // Connect first: it is normally the earlier, and arming the later one leaves the timer as it is.
    this.arm('connect');
    this.arm('total');

    req.on('socket', (socket) => {
      if (!socket.connecting) this.connected();
      else socket.once(secure ? 'secureConnect' : 'connect', () => this.connected());
    });
    req.on('response', (res) => this.respond(res));
    req.on('error', (error) => {
      if (this.ttfbAt === null) return this.fail(classifyNetworkError(error));
      this.later(() => this.fail({ errorClass: 'network', message: `stream cut mid-way (${(error as NodeJS.ErrnoException).code ?? 'error'})` }));
    });

    if (signal?.aborted) return this.abandon();
    if (signal) this.forgetAbort = whenAborted(signal, () => this.abandon());
    req.end(spec.body);
  }

  private connected(): void {
    this.sentAt = this.clock.monotonic();
    this.disarm('connect');
    this.arm('firstToken');
  }

  private arm(deadline: Deadline): void {
    const at = performance.now() + this.target.timeouts[DEADLINE_LIMIT[deadline]];
    this.deadlines[deadline] = at;
    if (at < this.timerAt) this.setTimer(at);
  }

  private disarm(deadline: Deadline): void {
    this.deadlines[deadline] = null;
  }

  private setTimer(at: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(deadlineTimer, Math.max(1, at - performance.now()), this);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  /** The timer fired: fail on the first deadline due (in DEADLINES order), or wait for the next. */
  onDeadlineTimer(): void {
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.drain();
    if (this.settled) return;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const deadline of DEADLINES) {
      const at = this.deadlines[deadline];
      if (at === null) continue;
      if (at <= now) return this.fail({ errorClass: 'timeout', message: DEADLINE_WHY[deadline](this.target.timeouts[DEADLINE_LIMIT[deadline]]) });
      next = Math.min(next, at);
    }
    if (next !== Number.POSITIVE_INFINITY) this.setTimer(next);
  }

  private later(work: () => void): void {
    if (this.backlog.push(work) === 1) afterIo(() => this.drain());
  }

  private drain(): void {
    const { backlog } = this;
    for (let i = 0; i < backlog.length; i += 1) backlog[i]!();
    backlog.length = 0;
  }

  /** The answer's head arrived: stamp it, and read the rest as it comes, handling it later. */
  private respond(res: IncomingMessage): void {
    this.ttfbAt = this.clock.monotonic();
    // Resets count from when the answer came, not from when its headers are parsed.
    const answeredAt = this.clock.now();
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const at = this.arrived();
      this.later(() => this.chunk(chunk, at));
    });
    res.on('end', () => {
      const at = this.end();
      this.later(() => this.finish(at));
    });
    res.on('error', (error) => this.later(() => this.cut(error)));
    res.on('close', () => {
      if (!res.complete) this.later(() => this.cut());
    });
    this.later(() => this.begin(res, answeredAt));
  }

  private begin(res: IncomingMessage, answeredAt: number): void {
    const status = res.statusCode ?? null;
    this.status = status;
    // The rate-limit headers and request id are parsed in settle, after the end is timed.
    this.answer = { headers: res.headers, at: answeredAt };
    if (status !== null && this.adapter.isExpectedStatus(status, this.target)) {
      this.reader = this.adapter.createReader(this.target);
      if (!this.adapter.measuresTokens) this.disarm('firstToken');
      return;
    }
    // An error answer is still an answer: only the total deadline applies to reading it.
    this.disarm('firstToken');
    this.errorBody = '';
  }

  private chunk(text: string, at: number): void {
    const { reader } = this;
    if (reader !== null) {
      reader.feed(text, at);
      if (reader.firstTokenAt !== null) this.disarm('firstToken');
      if (reader.failure) this.fail(reader.failure);
    } else if (this.errorBody !== null && this.errorBody.length < ERROR_BODY_KEPT) {
      this.errorBody += text.slice(0, ERROR_BODY_KEPT - this.errorBody.length);
    }
  }

  private finish(at: number): void {
    if (this.reader !== null) this.settle(this.reader.finish(), at);
    else this.settle({ failure: classifyHttpFailure(this.status ?? 0, this.errorBody ?? ''), outputTokens: null, responseId: null }, at);
  }

  private cut(error?: Error): void {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    this.fail({ errorClass: 'network', message: `stream cut mid-way${code ? ` (${code})` : ''}` });
  }

  private arrived(): number {
    this.lastAt = this.clock.monotonic();
    if (!this.sameTurn) {
      this.sameTurn = true;
      setImmediate(() => (this.sameTurn = false));
    }
    return this.lastAt;
  }

  /**
   * When a stream's end is read together with its last bytes (the common case: one read, and
   * 'end' follows on a later tick), the stream ended when those bytes arrived; the ticks in
   * between are ours, not the provider's. An end read later (a separate packet, after the event
   * loop turned) is timed when it is seen.
   */
  private end(): number {
    return this.sameTurn ? this.lastAt : this.clock.monotonic();
  }

  private abandon(): void {
    this.drain();
    this.fail({ errorClass: 'network', message: 'probe abandoned: CapPulse is stopping' });
  }

  private fail(failure: Failure): void {
    this.settle({ failure, outputTokens: null, responseId: null }, this.clock.monotonic());
    this.req?.destroy();
  }

  private settle(outcome: ReadOutcome, endAt: number): void {
    if (this.settled) return;
    this.settled = true;
    this.clearTimer();
    this.forgetAbort?.();
    const { sentAt, answer, secrets } = this;
    const since = (at: number | null) => (at === null || sentAt === null ? null : ms(at - sentAt));
    const { failure } = outcome;
    const firstToken = this.adapter.measuresTokens ? (this.reader?.firstTokenAt ?? null) : null;
    const rateLimit: RateLimitSnapshot | null = answer === null ? null : parseRateLimit(answer.headers, answer.at);
    const id = (answer === null ? null : requestIdHeader(answer.headers)) ?? outcome.responseId;
    this.resolve({
      startedAt: this.startedAt,
      ok: failure === null,
      errorClass: failure?.errorClass ?? null,
      httpStatus: this.status,
      latencyMs: since(endAt),
      ttftMs: since(firstToken),
      ttfbMs: since(this.ttfbAt),
      outputTokens: outcome.outputTokens,
      requestId: id === null ? null : scrubSecrets(id, secrets).slice(0, 128),
      rateLimit,
      errorMessage: failure === null ? null : shorten(scrubSecrets(failure.message, secrets)),
    });
  }
}
