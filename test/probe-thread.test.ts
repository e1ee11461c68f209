import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ResolvedTarget } from '../src/config/targets.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createMemoryLogger } from '../src/lib/logger.ts';
import { AUTO_THREAD_STALL_MS, createProber, type Prober } from '../src/probe/thread/prober.ts';
import type { ProbeResult } from '../src/probe/types.ts';
import { startTestApp } from './helpers/app.ts';
import { startFakeProvider, type FakeProvider } from './helpers/fake-provider.ts';
import { holdThread } from './helpers/hold-thread.ts';
import { openaiError, openaiStream } from './helpers/provider-fixtures.ts';
import { probeTarget } from './helpers/probe-target.ts';

// The timing thread (src/probe/thread/): when it runs, that the app stores what it measures, and
// what happens when it fails. That it times and classifies like the main thread is shown by
// running probe-adapters.test.ts's cases on both.

const KEY = 'sk-live-SECRET-abcdef0123456789';
let fake: FakeProvider;
before(async () => {
  fake = await startFakeProvider();
});
after(() => fake.close());

const signal = () => new AbortController().signal;
const started = (lines: string[]) => lines.filter((line) => line.includes('probe_thread_started')).length;

/**
 * The stall these tests make: ten times what `auto` tolerates in production, because on a loaded
 * machine (a full test run on two shared cores) the loop stood still past 50 ms by itself while
 * probes were in flight, and `auto` rightly moved them before the test's own stall.
 */
const STALL_MS = 10 * AUTO_THREAD_STALL_MS;

/** An `auto` prober against a fake whose answers take long enough for probes to overlap. */
async function withAutoProber(run: (p: { prober: Prober; logger: ReturnType<typeof createMemoryLogger>; target: ResolvedTarget; batch(n: number): Promise<ProbeResult[]> }) => Promise<void>) {
  fake.setDefault(openaiStream({ firstTokenDelayMs: 100 }));
  const logger = createMemoryLogger();
  const prober = createProber({ clock: systemClock, logger, mode: () => 'auto', stallMs: STALL_MS });
  const target = probeTarget({ kind: 'openai', base_url: `${fake.url}/v1` });
  const batch = (n: number) => Promise.all(Array.from({ length: n }, () => prober.probe(target, signal())));
  try {
    await run({ prober, logger, target, batch });
  } finally {
    await prober.close();
    fake.setDefault({ status: 200, chunks: [] });
  }
}

/** One probe in flight while the main thread stands still for twice what `auto` tolerates. */
async function probeThroughStall(prober: Prober, target: ResolvedTarget) {
  const probing = prober.probe(target, signal());
  holdThread(2 * STALL_MS);
  return probing;
}

test('auto: probes stay on the main thread, however many overlap, until it stalls with one in flight', async () => {
  await withAutoProber(async ({ prober, logger, target, batch }) => {
    for (const result of await batch(20)) assert.equal(result.ok, true, result.errorMessage ?? '');
    // A stall with nothing in flight delays no timestamp.
    holdThread(2 * STALL_MS);
    for (const result of await batch(2)) assert.equal(result.ok, true, result.errorMessage ?? '');
    assert.equal(prober.onThread(), false);
    assert.equal(started(logger.lines), 0);

    assert.equal((await probeThroughStall(prober, target)).ok, true);
    assert.equal(prober.onThread(), true);
    assert.ok(logger.lines.some((line) => line.includes('main_thread_stalled')), 'the switch is logged with its reason');
    for (const result of await batch(3)) assert.equal(result.ok, true, result.errorMessage ?? '');
    assert.equal(started(logger.lines), 1);
    // Once started, it keeps every probe on one path, even a lone one.
    assert.equal((await prober.probe(target, signal())).ok, true);
    assert.equal(prober.onThread(), true);
    assert.equal(started(logger.lines), 1);
  });
});

/** An adapter kind the thread does not know makes it throw: a bug of ours, not a provider outage. */
function brokenTarget(): ResolvedTarget {
  const target = probeTarget({ kind: 'openai', base_url: `${fake.url}/v1` });
  return { ...target, provider: { ...target.provider, kind: 'nonsense' as 'openai' } };
}

test('always: a failed thread fails only the probes in it, and the next probe starts a new one', async () => {
  const logger = createMemoryLogger();
  const prober = createProber({ clock: systemClock, logger, mode: () => 'always' });
  try {
    await assert.rejects(prober.probe(brokenTarget(), signal()), /probe timing thread failed/);
    assert.ok(logger.lines.some((line) => line.includes('probe_thread_failed')));

    fake.enqueue(openaiStream());
    const result = await prober.probe(probeTarget({ kind: 'openai', base_url: `${fake.url}/v1` }), signal());
    assert.equal(result.ok, true, result.errorMessage ?? '');
    assert.equal(started(logger.lines), 2);
  } finally {
    await prober.close();
  }
});

test('auto: after the thread failed, probes stay on the main thread instead of failing', async () => {
  await withAutoProber(async ({ prober, logger, target, batch }) => {
    await probeThroughStall(prober, target);
    await assert.rejects(prober.probe(brokenTarget(), signal()), /probe timing thread failed/);
    assert.equal(prober.onThread(), false);
    for (const result of await batch(3)) assert.equal(result.ok, true, result.errorMessage ?? '');
    await probeThroughStall(prober, target);
    assert.equal(prober.onThread(), false);
    assert.equal(started(logger.lines), 1, 'the thread was not started again');
  });
});

test('the app stores what the thread measured, never the key, and a reload to never stops the thread', async () => {
  const provider = { slug: 'fake', kind: 'openai' as const, base_url: `${fake.url}/v1`, api_key: '${FAKE_KEY}', models: [{ slug: 'm1' }] };
  const t = await startTestApp({ defaults: { timing_thread: 'always' }, providers: [provider] }, {}, { FAKE_KEY: KEY });
  try {
    fake.enqueue(openaiStream({ firstTokenDelayMs: 40 }));
    const stored = await t.app.probeNow('fake/m1');
    assert.equal(stored.ok, true, stored.errorMessage ?? '');
    assert.ok(stored.ttftMs !== null && stored.ttftMs >= 40);
    assert.equal(started(t.logs), 1);

    fake.enqueue(openaiError(401, 'invalid_request_error', 'invalid_api_key', `Incorrect API key provided: ${KEY}.`, { 'x-request-id': `req_${KEY}` }));
    const failed = await t.app.probeNow('fake/m1');
    assert.equal(failed.errorClass, 'auth_error');
    assert.equal(fake.requests.at(-1)?.headers.authorization, `Bearer ${KEY}`, 'the key was really sent');
    assert.doesNotMatch(JSON.stringify(failed), /SECRET/);
    assert.doesNotMatch(JSON.stringify(t.app.db.sqlite.prepare('SELECT * FROM probe_results').all()), /SECRET/);

    await t.app.reload({ ...t.config, defaults: { ...t.config.defaults, timing_thread: 'never' } });
    fake.enqueue(openaiStream());
    assert.equal((await t.app.probeNow('fake/m1')).ok, true);
    // Stopping the thread is not awaited by the probe that asked for it.
    for (let i = 0; i < 200 && !t.logs.some((line) => line.includes('probe_thread_stopped')); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(t.logs.some((line) => line.includes('probe_thread_stopped')));
    assert.doesNotMatch(t.logs.join('\n'), /SECRET/);
  } finally {
    await t.stop();
  }
});
