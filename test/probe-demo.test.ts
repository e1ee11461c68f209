import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { runCli } from '../src/cli.ts';
import { startDemoProvider, type DemoProvider } from '../src/demo/demo-provider.ts';
import { phaseAt, SCRIPT_CYCLE_MS } from '../src/demo/trouble-script.ts';
import { systemClock } from '../src/lib/clock.ts';
import { runProbe } from '../src/probe/run.ts';
import { probeTarget } from './helpers/probe-target.ts';
import { tempDir } from './helpers/temp.ts';

// random() = 0.25 makes every log-normal sample exactly its median (z = 0), so delays are known.
const MEDIAN = () => 0.25;
const START = Date.UTC(2026, 0, 1, 0, 0, 0);
let wall = START;
let demo: DemoProvider;
before(async () => {
  demo = await startDemoProvider({ now: () => wall, random: MEDIAN });
});
after(() => demo.close());

const target = (model = 'demo-fast') => probeTarget({ kind: 'openai', base_url: demo.baseUrl, models: [{ slug: model }] });

test('the trouble script repeats: normal, latency spike, 5xx burst, normal, 429 run, normal', () => {
  const at = (m: number, s: number) => phaseAt((m * 60 + s) * 1000);
  assert.deepEqual([at(0, 0), at(2, 29), at(2, 30), at(3, 15), at(3, 45), at(4, 30), at(5, 15), at(5, 59)], ['normal', 'normal', 'latency_spike', 'server_errors', 'normal', 'rate_limited', 'normal', 'normal']);
  assert.equal(phaseAt(SCRIPT_CYCLE_MS + 160_000), 'latency_spike');
});

test('normal phase: a streamed answer with its median TTFT and counting-down rate-limit headers', async () => {
  wall = START + 10_000;
  const first = await runProbe(target(), { clock: systemClock });
  const second = await runProbe(target(), { clock: systemClock });
  assert.equal(first.ok, true, first.errorMessage ?? '');
  assert.ok(first.ttftMs !== null && first.ttftMs >= 180, `ttft ${first.ttftMs} not below the 180 ms median`);
  assert.equal(first.outputTokens, 1);
  assert.match(first.requestId ?? '', /^req_demo_/);
  assert.equal(first.rateLimit?.requests_limit, 600);
  assert.equal(second.rateLimit!.requests_remaining, first.rateLimit!.requests_remaining! - 1);
  assert.ok(second.rateLimit!.tokens_remaining! < first.rateLimit!.tokens_remaining!);
  // The demo's minute has 50 s left; the prober turns that into an instant on its own clock.
  const resetIn = first.rateLimit!.requests_reset_at! - first.startedAt;
  assert.ok(resetIn >= 50_000 && resetIn < 60_000, `reset in ${resetIn} ms`);
});

test('latency spike: about six times slower', async () => {
  wall = START + 160_000;
  const result = await runProbe(target(), { clock: systemClock });
  assert.equal(result.ok, true);
  assert.ok(result.ttftMs !== null && result.ttftMs >= 6 * 180, `ttft ${result.ttftMs}`);
});

test('5xx burst and 429 run', async () => {
  wall = START + 200_000;
  const burst = await runProbe(target(), { clock: systemClock });
  assert.ok(burst.errorClass === 'server_error' || burst.errorClass === 'overloaded', String(burst.errorClass));
  wall = START + 280_000;
  const limited = await runProbe(target(), { clock: systemClock });
  assert.equal(limited.errorClass, 'rate_limited');
  assert.equal(limited.httpStatus, 429);
  assert.equal(limited.rateLimit?.requests_remaining, 0);
  assert.equal(limited.rateLimit?.retry_after_ms, 35_000);
});

test('cappulse probe prints timings, class, status and the rate-limit snapshot; exit 1 on failure', async () => {
  const dir = tempDir();
  const file = dir.file('cappulse.yaml');
  writeFileSync(file, `providers:\n  - slug: demo\n    kind: openai\n    base_url: ${demo.baseUrl}\n    models: [{slug: demo-fast}, {slug: demo-large}]\n`);
  const out: string[] = [];
  const io = { out: (text: string) => out.push(text), err: (text: string) => out.push(text) };
  try {
    wall = START + 10_000;
    assert.equal(await runCli(['probe', 'demo', '--config', file], io), 0, out.join('\n'));
    const text = out.join('\n');
    assert.match(text, /demo\/demo-fast {2}ok {2}HTTP 200/);
    assert.match(text, /demo\/demo-large {2}ok/);
    assert.match(text, /ttfb \d+ ms {2}ttft \d+ ms {2}latency \d+ ms/);
    assert.match(text, /rate limit: requests \d+\/600 \(resets in [\d.]+ s\)/);

    out.length = 0;
    wall = START + 280_000;
    assert.equal(await runCli(['probe', 'demo/demo-fast', '--config', file, '--json'], io), 1);
    const [json] = JSON.parse(out.join('')) as Array<Record<string, unknown>>;
    assert.equal(json?.target, 'demo/demo-fast');
    assert.equal(json?.error_class, 'rate_limited');
    assert.equal(json?.http_status, 429);
    assert.equal((json?.rate_limit as Record<string, unknown>).retry_after_ms, 35_000);
    assert.match(String((json?.rate_limit as Record<string, unknown>).requests_reset_at), /^\d{4}-\d\d-\d\dT/);

    out.length = 0;
    assert.equal(await runCli(['probe', 'demo/nope', '--config', file], io), 2);
    assert.match(out.join('\n'), /known: demo\/demo-fast, demo\/demo-large/);
  } finally {
    dir.remove();
  }
});
