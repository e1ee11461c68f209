import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { ConfigInput } from '../src/config/schema.ts';
import { issueApiKey } from '../src/store/keys.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { fuzzRequest, requestInit, type FuzzRequest, type KnownValues } from './helpers/fuzz-requests.ts';
import { createTestKey, createTestKeys } from './helpers/keys.ts';
import { createManualTimers, createScenarioClock } from './helpers/manual-timers.ts';
import { loadOpenApi, type OpenApiChecker } from './helpers/openapi.ts';

/**
 * Thousands of random requests against the running server: random methods, paths, query strings,
 * headers and bodies (test/helpers/fuzz-requests.ts). Every answer must be below 500, carry a
 * request id of the server's own making, have the documented error shape and match the OpenAPI
 * document, and leak nothing internal; the server must still answer afterwards.
 *
 * The main run has budgets too large to spend, so that it reaches the handlers instead of the
 * limiter; it fails if its answers collapse into a few statuses. A smaller run against tight
 * limits, with time moving on between batches, fuzzes the 429s.
 */
const RUNS = 2000;
const LIMITED_RUNS = 300;
const BATCH = 10;
const START = Date.UTC(2026, 0, 10, 12, 0, 0);
const REQUEST_ID = /^req_[0-9A-Za-z]{16}$/;
// Media types and codings an answer may share with the request without having echoed it.
const MAY_MATCH = new Set(['accept', 'content-type', 'accept-encoding', 'content-encoding', 'cache-control']);
const LEAK = /\.ts:\d+|node_modules|SQLITE|select .* from|at \w+ \(/i;

interface Target {
  app: TestApp;
  api: OpenApiChecker;
  clock: ReturnType<typeof createScenarioClock>;
  auth(scope: 'read' | 'admin'): string;
  statuses: Map<number, number>;
  codes: Map<string, number>;
  /** Every X-Request-Id seen: each answer must have its own. */
  requestIds: Set<string>;
}

/** A provider with one model, on an address nothing listens on; manual timers: it is never probed. */
const PROVIDERS: ConfigInput['providers'] = [{ slug: 'alpha', name: 'Alpha', kind: 'openai', base_url: 'http://127.0.0.1:9/alpha', models: [{ slug: 'm1' }] }];

async function startTarget(config: ConfigInput, keyLimits: { rateLimit: number; monthlyQuota: number } | undefined, api?: OpenApiChecker): Promise<Target> {
  const clock = createScenarioClock(START);
  // Private webhook URLs allowed: the fuzz's endpoints point at a local port nothing listens on.
  const app = await startTestApp({ ...config, providers: PROVIDERS, webhooks: { allow_private: true } }, { clock, timers: createManualTimers(clock) });
  let auth: Target['auth'];
  if (keyLimits) {
    const read = await createTestKey(app, { name: 'limited-read', scopes: ['read'], ...keyLimits });
    const admin = await createTestKey(app, { name: 'limited-admin', scopes: ['admin'], ...keyLimits });
    auth = (scope) => (scope === 'admin' ? admin : read);
  } else {
    const keys = await createTestKeys(app);
    auth = (scope) => (scope === 'admin' ? keys.admin : keys.read);
  }
  // One checker for both servers (they serve the same document): its validators compile on first use, for seconds.
  return { app, api: api ?? (await loadOpenApi(app.url)), clock, auth, statuses: new Map(), codes: new Map(), requestIds: new Set() };
}

/** Ids the fuzz may hit: a key nobody uses (revoking it is harmless) and a webhook endpoint. */
async function knownValues(target: Target): Promise<KnownValues> {
  const spare = await issueApiKey(target.app.app.db.kysely, { name: 'spare', scopes: ['read'], rateLimit: null, monthlyQuota: null, expiresAt: null }, target.clock.now());
  const endpoint = await target.api.fetch(`${target.app.url}/v1/webhooks/endpoints`, {
    method: 'POST',
    headers: { authorization: `Bearer ${target.auth('admin')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: 'http://127.0.0.1:9/hook', events: ['incident.created'] }),
  });
  assert.equal(endpoint.status, 201);
  return { ids: [spare.record.id, endpoint.body.id as string], slugs: ['alpha', 'm1'] };
}

/** Sends one random request and returns what differs from the contract (empty when it conforms). */
async function probe(target: Target, r: FuzzRequest): Promise<string[]> {
  const shown = `${r.method} ${r.path.slice(0, 200)} auth=${r.authorization?.slice(0, 40)} headers=${JSON.stringify(r.headers.map(([n, v]) => [n, v.slice(0, 40)]))} body=${String(r.body?.payload).slice(0, 60)}${r.body?.stream ? ' (streamed)' : ''}`;
  const url = `${target.app.url}${r.path}`;
  let res: Response;
  let text: string;
  try {
    // Joined, not resolved: `//v1//x` resolved against the base would name a host `v1`.
    res = await fetch(url, requestInit(r, target.auth));
    text = await res.text();
  } catch (error) {
    // Named, so a failed request stands out from the batch it was sent in.
    return [`${shown} → no answer: ${(error as Error).message} ${String(((error as Error).cause as Error | undefined)?.message ?? '')}`];
  }
  const problems = target.api.problems(r.method, url, { status: res.status, headers: res.headers, text });
  // The checker speaks for /v1 only; every answer, pages included, carries an id the server made.
  const id = res.headers.get('x-request-id') ?? '';
  if (!REQUEST_ID.test(id)) problems.push(`X-Request-Id is not one the server made: ${JSON.stringify(id.slice(0, 80))}`);
  else if (target.requestIds.has(id)) problems.push(`X-Request-Id ${id} was already given to another answer`);
  target.requestIds.add(id);
  if (res.status >= 500) problems.push(`server error ${res.status}`);
  if (LEAK.test(text)) problems.push(`internal detail leaked: ${text.slice(0, 200)}`);
  // A header value the client chose must not come back in a header (Origin into CORS, an id, a cookie).
  for (const [name, value] of r.headers) {
    const sent = value.trim();
    if (sent.length < 12 || MAY_MATCH.has(name)) continue;
    for (const [answerName, answer] of res.headers) if (answer.includes(sent)) problems.push(`request header ${name} is echoed in ${answerName}`);
  }
  target.statuses.set(res.status, (target.statuses.get(res.status) ?? 0) + 1);
  if (res.status >= 400 && r.method !== 'HEAD' && text.startsWith('{')) {
    const code = String((JSON.parse(text) as { error?: unknown }).error);
    target.codes.set(code, (target.codes.get(code) ?? 0) + 1);
  }
  return problems.map((p) => `${shown} → ${res.status}: ${p}`);
}

/** Runs `runs` random requests in concurrent batches (which also exercises interleaving); `between` runs before each batch. */
async function fuzz(target: Target, runs: number, between: fc.Arbitrary<number>): Promise<void> {
  const known = await knownValues(target);
  let requests = 0;
  const outcome = await fc.check(
    fc.asyncProperty(between, fc.array(fuzzRequest(known), { minLength: BATCH, maxLength: BATCH }), async (advanceMs, batch) => {
      target.clock.advance(advanceMs);
      const found = (await Promise.all(batch.map((r) => probe(target, r)))).flat();
      requests += batch.length;
      assert.deepEqual(found, []);
    }),
    { numRuns: runs / BATCH },
  );
  assert.ok(!outcome.failed, `${fc.defaultReportMessage(outcome)}\n${String((outcome.errorInstance as Error | undefined)?.message ?? '')}`);
  assert.equal(requests, runs);
  const health = await fetch(`${target.app.url}/healthz`);
  assert.equal(health.status, 200, 'the server is still up');
}

const count = (map: Map<number | string, number>, key: number | string) => map.get(key) ?? 0;
const shown = (map: Map<number | string, number>) => [...map].sort((a, b) => String(a[0]).localeCompare(String(b[0]))).map(([k, n]) => `${k}×${n}`).join(' ');

let open: Target;
let limited: Target;
before(async () => {
  // A clock that stands still between batches and budgets no run can spend: no 429 unless earned.
  open = await startTarget({ server: { max_body_bytes: 2048 }, api: { anonymous_rate_limit_per_minute: 1_000_000 } }, undefined);
  limited = await startTarget({ server: { max_body_bytes: 2048 }, api: { anonymous_rate_limit_per_minute: 10 } }, { rateLimit: 10, monthlyQuota: 6 }, open.api);
});
after(async () => {
  await open.app.stop();
  await limited.app.stop();
});

test('thousands of random requests never get a 5xx or an answer that differs from the document', async (t) => {
  await fuzz(open, RUNS, fc.constant(0));
  t.diagnostic(`statuses: ${shown(open.statuses)}`);
  t.diagnostic(`error codes: ${shown(open.codes)}`);
  assert.ok(open.api.checked.size >= 15, `responses matched few operations: ${[...open.api.checked.keys()].join(', ')}`);
  // A run that mostly hits the limiter, or only the router, tests nothing behind them.
  assert.ok(count(open.statuses, 429) <= RUNS * 0.01, `too many 429s: ${shown(open.statuses)}`);
  for (const status of [200, 201, 400, 401, 403, 404, 405, 413]) {
    assert.ok(count(open.statuses, status) >= 5, `status ${status} came back ${count(open.statuses, status)} times in ${RUNS}: ${shown(open.statuses)}`);
  }
});

test('random requests against tight limits: the 429s have the documented shape too', async (t) => {
  // Time moves on between batches, so the limits refill in part and answers mix 2xx, 401 and 429;
  // each key's quota is below its burst, so its quota runs out however little time passes.
  await fuzz(limited, LIMITED_RUNS, fc.integer({ min: 0, max: 8000 }));
  t.diagnostic(`statuses: ${shown(limited.statuses)}`);
  t.diagnostic(`error codes: ${shown(limited.codes)}`);
  assert.ok(count(limited.codes, 'rate_limit_exceeded') >= 10, `few rate_limit_exceeded: ${shown(limited.codes)}`);
  assert.ok(count(limited.codes, 'quota_exceeded') >= 3, `few quota_exceeded: ${shown(limited.codes)}`);
  assert.ok(count(limited.statuses, 429) <= LIMITED_RUNS - 30, `the limiter refused nearly everything: ${shown(limited.statuses)}`);
});
