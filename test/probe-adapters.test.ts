import assert from 'node:assert/strict';
import type { LookupFunction } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { sseData } from '../src/demo/openai-stream.ts';
import { afterIo, nextIoTurn } from '../src/lib/after-io.ts';
import { systemClock } from '../src/lib/clock.ts';
import { runProbe } from '../src/probe/run.ts';
import { createProber, type Prober } from '../src/probe/thread/prober.ts';
import type { ResolvedTarget } from '../src/config/targets.ts';
import { createMemoryLogger } from '../src/lib/logger.ts';
import type { ErrorClass, ProbeResult } from '../src/probe/types.ts';
import { startFakeProvider, type FakeProvider, type ScriptStep } from './helpers/fake-provider.ts';
import { holdThread } from './helpers/hold-thread.ts';
import { toLoopback } from './helpers/loopback-lookup.ts';
import {
  anthropicError,
  anthropicStream,
  cutAfter,
  geminiError,
  geminiStream,
  jsonError,
  openaiError,
  openaiStream,
  piece,
  sseEvent,
} from './helpers/provider-fixtures.ts';
import { probeTarget } from './helpers/probe-target.ts';

type Kind = 'openai' | 'anthropic' | 'gemini' | 'http';
// Generous, so a loaded machine never turns a scripted answer into a timeout; the timeout cases set their own.
const TIMEOUTS = { connect: '5s', first_token: '10s', total: '20s' };

let fake: FakeProvider;
// The same probes run on the main thread and on the timing thread (src/probe/thread/): both
// must time and classify alike.
let timingThread: Prober;
before(async () => {
  fake = await startFakeProvider();
  timingThread = createProber({ clock: systemClock, logger: createMemoryLogger(), mode: () => 'always' });
});
after(async () => {
  await timingThread.close();
  await fake.close();
});

const PATHS = ['main thread', 'timing thread'] as const;
type Path = (typeof PATHS)[number];

/** A lookup function cannot cross to the timing thread: cases that need one run on the main thread only. */
function probeOn(path: Path, t: ResolvedTarget, signal = new AbortController().signal, lookup?: LookupFunction): Promise<ProbeResult> {
  if (path === 'timing thread') return timingThread.probe(t, signal);
  return runProbe(t, { clock: systemClock, ...(lookup ? { lookup } : {}) }, signal);
}

function target(kind: Kind, extra: Record<string, unknown> = {}) {
  return probeTarget({ kind, base_url: `${fake.url}/v1`, api_key: 'sk-test-key-123456', timeouts: TIMEOUTS, ...extra } as Parameters<typeof probeTarget>[0]);
}

for (const path of PATHS) {
  describe(`a normal stream is timed honestly (${path})`, () => {
    const streams: Array<[Kind, (delay: number) => ScriptStep]> = [
      ['openai', (d) => openaiStream({ firstTokenDelayMs: d })],
      ['anthropic', (d) => anthropicStream({ firstTokenDelayMs: d })],
      ['gemini', (d) => geminiStream({ firstTokenDelayMs: d })],
    ];
    for (const [kind, stream] of streams) {
      test(kind, async () => {
        const delay = 120;
        fake.enqueue(stream(delay));
        const result = await probeOn(path, target(kind));
        assert.equal(result.ok, true, result.errorMessage ?? '');
        assert.equal(result.errorClass, null);
        assert.equal(result.httpStatus, 200);
        assert.equal(result.outputTokens, 1);
        const { ttfbMs, ttftMs, latencyMs } = result;
        assert.ok(ttfbMs !== null && ttftMs !== null && latencyMs !== null);
        assert.ok(ttfbMs <= ttftMs && ttftMs <= latencyMs, `${ttfbMs} <= ${ttftMs} <= ${latencyMs}`);
        assert.ok(ttftMs >= delay, `ttft ${ttftMs} is not below the injected ${delay} ms`);
        assert.ok(result.requestId);
      });
    }

    test('an end that arrives after the last bytes is timed when it arrives', async () => {
      // The latency is taken from the last bytes' arrival only when the end comes with them.
      const endDelay = 150;
      fake.enqueue({ ...openaiStream(), endDelayMs: endDelay });
      const result = await probeOn(path, target('openai'));
      assert.equal(result.ok, true, result.errorMessage ?? '');
      assert.ok(result.latencyMs !== null);
      assert.ok(result.latencyMs >= endDelay, `latency ${result.latencyMs} is not below the ${endDelay} ms before the end`);
    });

    test('http liveness: expected status and body, no ttft', async () => {
      fake.enqueue({ status: 204, chunks: [] });
      const result = await probeOn(path, target('http', { base_url: `${fake.url}/health`, http: { expect_status: 204 } }));
      assert.equal(result.ok, true, result.errorMessage ?? '');
      assert.equal(result.ttftMs, null);
      assert.ok(result.latencyMs !== null && result.ttfbMs !== null && result.ttfbMs <= result.latencyMs);
    });
  });
}

describe('an answer is handled after other work, but timed when it arrives (main thread)', () => {
  // Other probes' parsing and storing run one job per turn (src/lib/after-io.ts); this probe's
  // answer is stamped on arrival and parsed when its turn comes, here after a queue of work
  // longer than the deadline.
  const holdTheThread = (jobs: number, until: () => boolean) => {
    for (let i = 0; i < jobs; i += 1) {
      afterIo(() => holdThread(2, until));
    }
  };

  test('a first token read before the deadline is not a timeout while its parsing waits', async () => {
    fake.enqueue(openaiStream());
    let settled = false;
    const probing = runProbe(target('openai', { timeouts: { first_token: '1s', total: '20s' } }), { clock: systemClock });
    holdTheThread(1500, () => settled);
    const result = await probing.finally(() => (settled = true));
    assert.equal(result.ok, true, result.errorMessage ?? '');
    assert.ok(result.ttftMs !== null && result.ttftMs < 1000, `ttft ${result.ttftMs} ms, stamped when the token was read`);
    await nextIoTurn(); // the rest of the queue, before the next test
  });

  test('an answer that never came is still a timeout', async () => {
    fake.enqueue({ chunks: [': keep-alive\n\n'], hang: true });
    let settled = false;
    const probing = runProbe(target('openai', { timeouts: { first_token: '300ms', total: '20s' } }), { clock: systemClock });
    holdTheThread(500, () => settled);
    const result = await probing.finally(() => (settled = true));
    assert.equal(result.errorClass, 'timeout');
    assert.match(result.errorMessage ?? '', /first-token/);
    await nextIoTurn();
  });
});

describe('one timer serves the three deadlines (main thread)', () => {
  // The timer is set for the earliest deadline armed; one disarmed before it falls makes the timer
  // fire early and move on to the next. Neither may turn a timely answer into a timeout.
  test('deadlines that fell after they were met do not fire', { timeout: 10_000 }, async () => {
    // Connected at once (connect met), first token after the 100 ms connect deadline's time, end
    // after the first-token deadline's time: every deadline's time passes, none applies.
    fake.enqueue({ ...openaiStream({ firstTokenDelayMs: 300 }), endDelayMs: 1600 });
    const result = await runProbe(target('openai', { timeouts: { connect: '100ms', first_token: '1200ms', total: '15s' } }), { clock: systemClock });
    assert.equal(result.ok, true, result.errorMessage ?? '');
    assert.ok(result.latencyMs !== null && result.latencyMs >= 1600, `latency ${result.latencyMs} ms`);
  });

  // A timer that failed to move on would leave the probe hanging: the test's own timeout fails it.
  test('after an early wake the next deadline still fires, with its own message', { timeout: 10_000 }, async () => {
    fake.enqueue({ chunks: [': keep-alive\n\n'], hang: true });
    const result = await runProbe(target('openai', { timeouts: { connect: '100ms', first_token: '500ms', total: '15s' } }), { clock: systemClock });
    assert.equal(result.errorClass, 'timeout');
    assert.match(result.errorMessage ?? '', /first-token timeout \(500 ms\)/);
  });
});

describe('requests carry what each family expects', () => {
  const sent = async (kind: Kind, step: ScriptStep, extra: Record<string, unknown> = {}) => {
    fake.enqueue(step);
    await runProbe(target(kind, extra), { clock: systemClock });
    return fake.requests.at(-1)!;
  };

  test('openai: stream, usage, 1-token cap, temperature 0, nonce, extra headers', async () => {
    const req = await sent('openai', openaiStream(), { headers: { 'x-team': 'infra' } });
    const body = JSON.parse(req.body);
    assert.equal(req.path, '/v1/chat/completions');
    assert.equal(req.headers.authorization, 'Bearer sk-test-key-123456');
    assert.equal(req.headers['x-team'], 'infra');
    assert.deepEqual([body.stream, body.stream_options, body.max_completion_tokens, body.temperature], [true, { include_usage: true }, 1, 0]);
    assert.match(body.messages[0].content, /\([0-9a-f]{8}-[0-9a-f]{4}\)$/);
  });

  test('openai: max_tokens where a provider needs it; reasoning models get no temperature', async () => {
    const req = await sent('openai', openaiStream(), { max_tokens_param: 'max_tokens', models: [{ slug: 'o4-mini', reasoning: true }] });
    const body = JSON.parse(req.body);
    assert.equal(body.max_tokens, 16);
    assert.equal('temperature' in body, false);
  });

  test('azure: api-key header, deployment URL with its api-version kept', async () => {
    // The Azure host name resolves to our fake, so the adapter sees a real Azure-style URL.
    const port = new URL(fake.url).port;
    fake.enqueue(openaiStream());
    const azure = target('openai', { base_url: `http://myres.openai.azure.com:${port}/openai/deployments/gpt-4o?api-version=2024-10-21` });
    const result = await runProbe(azure, { clock: systemClock, lookup: toLoopback });
    assert.equal(result.ok, true, result.errorMessage ?? '');
    const req = fake.requests.at(-1)!;
    assert.equal(req.path, '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
    assert.equal(req.headers['api-key'], 'sk-test-key-123456');
    assert.equal(req.headers.authorization, undefined);
  });

  test('anthropic: x-api-key, anthropic-version, max_tokens 1', async () => {
    const req = await sent('anthropic', anthropicStream());
    assert.equal(req.path, '/v1/messages');
    assert.equal(req.headers['x-api-key'], 'sk-test-key-123456');
    assert.equal(req.headers['anthropic-version'], '2023-06-01');
    assert.equal(req.headers.authorization, undefined);
    assert.equal(JSON.parse(req.body).max_tokens, 1);
  });

  test('gemini: streamGenerateContent?alt=sse, x-goog-api-key, maxOutputTokens 1', async () => {
    const req = await sent('gemini', geminiStream());
    assert.equal(req.path, '/v1/models/fake-model:streamGenerateContent?alt=sse');
    assert.equal(req.headers['x-goog-api-key'], 'sk-test-key-123456');
    assert.equal(JSON.parse(req.body).generationConfig.maxOutputTokens, 1);
  });
});

const refusedPort = async () => {
  const other = await startFakeProvider();
  const url = other.url;
  await other.close();
  return url;
};

const failingLookup: LookupFunction = (hostname, _options, callback) => {
  const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  process.nextTick(() => (callback as (e: Error) => void)(error));
};
const hangingLookup: LookupFunction = () => undefined;

interface Case {
  name: string;
  kind: Kind;
  step?: ScriptStep;
  expect: ErrorClass | null;
  extra?: Record<string, unknown> | (() => Promise<Record<string, unknown>>);
  lookup?: LookupFunction;
  message?: RegExp;
}

const openai = openaiStream();
const CASES: Case[] = [
  { name: '200 with an anthropic error event (overloaded)', kind: 'anthropic', step: { chunks: [anthropicStream().chunks![0]!, sseEvent('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })] }, expect: 'overloaded' },
  { name: '200 with an unknown error event', kind: 'anthropic', step: { chunks: [sseEvent('error', { type: 'error', error: { type: 'mystery_error', message: '?' } })] }, expect: 'bad_response' },
  { name: '200 with an OpenRouter error chunk (502)', kind: 'openai', step: { chunks: [sseData({ error: { message: 'Provider returned error', code: 502 } })] }, expect: 'server_error' },
  { name: 'stream cut mid-way', kind: 'openai', step: cutAfter(openai, 3), expect: 'network', message: /cut/ },
  { name: 'stream ends without [DONE]', kind: 'openai', step: { chunks: openai.chunks!.slice(0, 4) }, expect: 'network', message: /\[DONE\]/ },
  { name: 'anthropic stream without message_stop', kind: 'anthropic', step: { chunks: anthropicStream().chunks!.slice(0, 5) }, expect: 'network' },
  { name: 'malformed SSE (data is not JSON)', kind: 'openai', step: { chunks: ['data: {"choices": [\n\n'] }, expect: 'bad_response', message: /malformed/ },
  { name: 'HTML page with 200', kind: 'openai', step: { headers: { 'content-type': 'text/html' }, chunks: ['<html><body>Welcome to nginx</body></html>'] }, expect: 'bad_response' },
  { name: 'empty 200', kind: 'openai', step: { chunks: [] }, expect: 'bad_response', message: /empty/ },
  { name: '[DONE] with no content', kind: 'openai', step: { chunks: [openai.chunks![1]!, openai.chunks![3]!, openai.chunks![5]!] }, expect: 'bad_response', message: /no content/ },
  { name: 'reasoning model spends the cap on hidden reasoning', kind: 'openai', extra: { models: [{ slug: 'o4-mini', reasoning: true }] }, step: { chunks: [openai.chunks![1]!, openai.chunks![3]!, openai.chunks![5]!] }, expect: null },
  { name: '529', kind: 'anthropic', step: anthropicError(529, 'overloaded_error', 'Overloaded'), expect: 'overloaded' },
  { name: 'anthropic overloaded_error sent as 429', kind: 'anthropic', step: anthropicError(429, 'overloaded_error', 'Overloaded'), expect: 'overloaded' },
  { name: 'anthropic rate_limit_error', kind: 'anthropic', step: anthropicError(429, 'rate_limit_error', 'Number of requests has exceeded your rate limit', { 'retry-after': '7' }), expect: 'rate_limited' },
  { name: 'anthropic spend limit as 400 invalid_request_error', kind: 'anthropic', step: anthropicError(400, 'invalid_request_error', 'You have reached your specified API usage limits (spend limit).'), expect: 'quota_exceeded' },
  { name: '429 rate_limit_exceeded', kind: 'openai', step: openaiError(429, 'requests', 'rate_limit_exceeded', 'Rate limit reached for requests', { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '6m0s' }), expect: 'rate_limited' },
  { name: '429 insufficient_quota', kind: 'openai', step: openaiError(429, 'insufficient_quota', 'insufficient_quota', 'You exceeded your current quota'), expect: 'quota_exceeded' },
  { name: '402 (DeepSeek insufficient balance)', kind: 'openai', step: jsonError(402, { error: { message: 'Insufficient Balance', type: 'unknown_error' } }), expect: 'quota_exceeded' },
  { name: '401 bad key', kind: 'openai', step: openaiError(401, 'invalid_request_error', 'invalid_api_key', 'Incorrect API key provided'), expect: 'auth_error' },
  { name: '403 permission denied (Gemini)', kind: 'gemini', step: geminiError(403, 'PERMISSION_DENIED', 'Method doesn\'t allow unregistered callers'), expect: 'auth_error' },
  { name: '404 unknown model', kind: 'openai', step: openaiError(404, 'invalid_request_error', 'model_not_found', 'The model `nope` does not exist'), expect: 'client_error' },
  { name: '500', kind: 'openai', step: openaiError(500, 'server_error', null, 'The server had an error while processing your request'), expect: 'server_error' },
  { name: '503 overloaded', kind: 'openai', step: openaiError(503, 'server_error', null, 'The engine is currently overloaded, please try again later'), expect: 'overloaded' },
  { name: '503 without a body', kind: 'openai', step: { status: 503, headers: { 'content-type': 'text/plain' }, chunks: ['Service Unavailable'] }, expect: 'server_error' },
  { name: '504 gateway timeout', kind: 'openai', step: { status: 504, chunks: [] }, expect: 'timeout' },
  { name: 'Gemini RESOURCE_EXHAUSTED per minute', kind: 'gemini', step: geminiError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded', [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaId: 'GenerateRequestsPerMinutePerProjectPerModel' }] }]), expect: 'rate_limited' },
  { name: 'Gemini RESOURCE_EXHAUSTED per day', kind: 'gemini', step: geminiError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded', [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' }] }]), expect: 'quota_exceeded' },
  { name: 'connection dropped before any answer', kind: 'openai', step: { drop: true }, expect: 'network' },
  { name: 'connect refused', kind: 'openai', extra: async () => ({ base_url: `${await refusedPort()}/v1` }), expect: 'network', message: /refused/ },
  { name: 'unresolvable host', kind: 'openai', extra: { base_url: 'http://no-such-host.invalid/v1' }, lookup: failingLookup, expect: 'network', message: /host not found/ },
  { name: 'connect timeout', kind: 'openai', extra: { base_url: 'http://slow-dns.invalid/v1', timeouts: { connect: '100ms' } }, lookup: hangingLookup, expect: 'timeout', message: /connect/ },
  { name: 'first-token timeout (keep-alives only)', kind: 'openai', extra: { timeouts: { first_token: '300ms', total: '20s' } }, step: { chunks: [': keep-alive\n\n', piece(': keep-alive\n\n', 50)], hang: true }, expect: 'timeout', message: /first-token/ },
  { name: 'total timeout (token came, end never did)', kind: 'openai', extra: { timeouts: { first_token: '10s', total: '600ms' } }, step: { chunks: openai.chunks!.slice(0, 3), hang: true }, expect: 'timeout', message: /total/ },
  { name: 'http: unexpected status', kind: 'http', extra: { base_url: `/health` }, step: { status: 503, chunks: ['down'] }, expect: 'server_error' },
  { name: 'http: body without the expected text', kind: 'http', extra: { base_url: `/health`, http: { expect_body: 'healthy' } }, step: { status: 200, chunks: ['degraded'] }, expect: 'bad_response' },
];

describe('failures land in the right class', () => {
  for (const [c, path] of CASES.flatMap((c) => PATHS.filter((p) => !c.lookup || p === 'main thread').map((p) => [c, p] as const))) {
    test(`${c.name} (${path})`, async () => {
      let extra = typeof c.extra === 'function' ? await c.extra() : (c.extra ?? {});
      if (typeof extra.base_url === 'string' && extra.base_url.startsWith('/')) extra = { ...extra, base_url: `${fake.url}${extra.base_url}` };
      if (c.step) fake.enqueue(c.step);
      const result = await probeOn(path, target(c.kind, extra), undefined, c.lookup);
      assert.equal(result.errorClass, c.expect, `${c.name}: ${result.errorMessage}`);
      assert.equal(result.ok, c.expect === null);
      if (c.message) assert.match(result.errorMessage ?? '', c.message);
      if (c.expect !== null) assert.ok((result.errorMessage ?? '').length <= 200);
    });
  }
});

test('a 429 keeps its rate-limit snapshot and request id', async () => {
  fake.enqueue(openaiError(429, 'requests', 'rate_limit_exceeded', 'slow down', { 'x-request-id': 'req_abc', 'x-ratelimit-limit-requests': '500', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '250ms', 'retry-after': '1' }));
  const result = await runProbe(target('openai'), { clock: systemClock });
  assert.equal(result.requestId, 'req_abc');
  assert.equal(result.rateLimit?.requests_limit, 500);
  assert.equal(result.rateLimit?.requests_remaining, 0);
  assert.equal(result.rateLimit?.retry_after_ms, 1000);
});

for (const path of PATHS) {
  test(`stopping abandons a probe in flight (${path})`, async () => {
    fake.enqueue({ chunks: [], hang: true });
    const controller = new AbortController();
    const pending = probeOn(path, target('openai'), controller.signal);
    setTimeout(() => controller.abort(), 50);
    const result = await pending;
    assert.equal(result.ok, false);
    assert.match(result.errorMessage ?? '', /abandoned/);
  });
}
