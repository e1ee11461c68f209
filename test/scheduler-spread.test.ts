import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResolvedTarget } from '../src/config/targets.ts';
import { createManualClock } from '../src/lib/clock.ts';
import { createMemoryLogger } from '../src/lib/logger.ts';
import type { Pipeline } from '../src/scheduler/pipeline.ts';
import { createScheduler, type SchedulerDeps } from '../src/scheduler/scheduler.ts';
import { spreadOffsets } from '../src/scheduler/spread.ts';
import type { ProbeResult, ProbeTarget } from '../src/probe/types.ts';
import type { StoredResult } from '../src/store/results.ts';
import { createManualTimers } from './helpers/manual-timers.ts';

const EVERY_30S = '*/30 * * * * *';
const START = Date.UTC(2026, 0, 1, 0, 0, 0);

function fakeTarget(key: string, schedule = EVERY_30S, id = 1): ProbeTarget {
  return { key, schedule, id, providerId: 1, modelId: id } as unknown as ResolvedTarget as ProbeTarget;
}

function okResult(startedAt: number): ProbeResult {
  return { startedAt, ok: true, errorClass: null, httpStatus: 200, latencyMs: 1, ttftMs: 1, ttfbMs: 1, outputTokens: 1, requestId: null, rateLimit: null, errorMessage: null };
}

/** A scheduler with manual time, a probe the test controls, and a pipeline that remembers. */
function harness(options: { concurrency?: number; probe?: SchedulerDeps['probe'] } = {}) {
  const clock = createManualClock(START);
  const timers = createManualTimers(clock);
  const logger = createMemoryLogger();
  const stored: Array<{ key: string; result: ProbeResult }> = [];
  const started: Array<{ key: string; at: number }> = [];
  let active = 0;
  let maxActive = 0;
  const pipeline: Pipeline = {
    async record(target, result) {
      stored.push({ key: target.key, result });
      return { ...result, id: stored.length, targetId: target.id } as StoredResult;
    },
  };
  const probe: SchedulerDeps['probe'] =
    options.probe ??
    (async (target) => {
      started.push({ key: target.key, at: clock.now() });
      active += 1;
      maxActive = Math.max(maxActive, active);
      await Promise.resolve();
      active -= 1;
      return okResult(clock.now());
    });
  const scheduler = createScheduler({ clock, timers, logger, pipeline, probe, concurrency: () => options.concurrency ?? 100 });
  return { clock, timers, logger, scheduler, stored, started, maxActive: () => maxActive };
}

/** A probe that runs until the test releases it. */
function gatedProbe() {
  const gates: Array<() => void> = [];
  let running = 0;
  const probe: SchedulerDeps['probe'] = (target) =>
    new Promise((resolve) => {
      running += 1;
      gates.push(() => {
        running -= 1;
        resolve(okResult(0));
      });
    });
  return { probe, running: () => running, releaseAll: () => gates.splice(0).forEach((open) => open()) };
}

test('offsets are stable, distinct and within the period', () => {
  const targets = Array.from({ length: 50 }, (_, i) => ({ key: `p/m${i}`, schedule: EVERY_30S }));
  const first = spreadOffsets(targets, START);
  const again = spreadOffsets([...targets].reverse(), START + 12_345);
  assert.deepEqual([...first.entries()].sort(), [...again.entries()].sort());
  const values = [...first.values()];
  assert.equal(new Set(values).size, 50);
  assert.ok(values.every((v) => v >= 0 && v < 30_000));
  const hourly = spreadOffsets([{ key: 'p/daily', schedule: '0 0 9 * * *' }], START);
  assert.ok(hourly.get('p/daily')! < 60_000, 'a daily probe stays within a minute of its time');
});

test('50 targets on one schedule are spread over the period, not fired together', async () => {
  const h = harness();
  h.scheduler.sync(Array.from({ length: 50 }, (_, i) => fakeTarget(`p/m${i}`, EVERY_30S, i + 1)));
  await h.timers.advance(30_000); // the first tick, at :30
  await h.timers.advance(30_000); // its offsets all fall before the next tick
  const firstRound = h.started.filter((s) => s.at < START + 60_000);
  assert.equal(firstRound.length, 50);
  const times = firstRound.map((s) => s.at);
  assert.equal(new Set(times).size, 50, 'no two targets in the same millisecond');
  assert.ok(Math.min(...times) >= START + 30_000);
  assert.ok(Math.max(...times) - Math.min(...times) > 15_000, 'spread over most of the period');
  assert.equal(h.stored.length, 50);
  await h.scheduler.stop();
});

test('the global concurrency cap holds', async () => {
  const gate = gatedProbe();
  const h = harness({ concurrency: 3, probe: gate.probe });
  h.scheduler.sync(Array.from({ length: 10 }, (_, i) => fakeTarget(`p/m${i}`, EVERY_30S, i + 1)));
  await h.timers.advance(60_000);
  assert.equal(gate.running(), 3);
  assert.equal(h.scheduler.stats().inFlight, 10);
  for (let round = 0; round < 5 && h.scheduler.stats().inFlight > 0; round += 1) {
    gate.releaseAll();
    await h.timers.advance(1);
    assert.ok(gate.running() <= 3);
  }
  assert.equal(h.stored.length + gate.running(), 10);
  gate.releaseAll();
  await h.scheduler.stop();
});

test('a raised concurrency cap takes effect at the next sync, for probes already waiting', async () => {
  const gate = gatedProbe();
  let cap = 1;
  const clock = createManualClock(START);
  const timers = createManualTimers(clock);
  const pipeline: Pipeline = { record: async (target, result) => ({ ...result, id: 1, targetId: target.id }) as StoredResult };
  const scheduler = createScheduler({ clock, timers, logger: createMemoryLogger(), pipeline, probe: gate.probe, concurrency: () => cap });
  const targets = Array.from({ length: 4 }, (_, i) => fakeTarget(`p/m${i}`, EVERY_30S, i + 1));
  scheduler.sync(targets);
  await timers.advance(60_000);
  assert.equal(gate.running(), 1);
  cap = 3;
  scheduler.sync(targets);
  await timers.advance(1);
  assert.equal(gate.running(), 3);
  const stopping = scheduler.stop();
  gate.releaseAll();
  await stopping;
});

test('a slow target is skipped, not stacked; stop() waits for it and leaves nothing running', async () => {
  const gate = gatedProbe();
  const h = harness({ probe: gate.probe });
  h.scheduler.sync([fakeTarget('slow/m')]);
  await h.timers.advance(45_000); // the :30 tick starts the probe
  assert.equal(gate.running(), 1);
  await h.timers.advance(90_000); // ticks at 1:00, 1:30 and 2:00 come while it hangs
  assert.equal(gate.running(), 1, 'never two probes of one target');
  const stats = h.scheduler.stats();
  assert.equal(stats.skippedByTarget['slow/m'], 3);
  assert.equal(stats.skipped, 3);
  assert.ok(h.logger.lines.some((line) => line.includes('tick_skipped') && line.includes('target=slow/m') && line.includes('skipped=3')));

  let stopped = false;
  const stopping = h.scheduler.stop().then(() => (stopped = true));
  await h.timers.advance(1);
  assert.equal(stopped, false, 'stop() waits for the probe in flight');
  gate.releaseAll();
  await stopping;
  assert.equal(h.stored.length, 1, 'the probe that was in flight is stored');
  assert.equal(h.scheduler.stats().inFlight, 0);
  await h.timers.advance(120_000);
  assert.equal(gate.running(), 0, 'nothing starts after stop()');
  assert.equal(h.timers.jobs(), 0);
});

test('stop() with a grace abandons a hung probe without storing it', async () => {
  const h = harness({ probe: (_t, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve(okResult(0)))) });
  h.scheduler.sync([fakeTarget('hung/m')]);
  await h.timers.advance(60_000);
  assert.equal(h.scheduler.stats().inFlight, 1);
  const stopping = h.scheduler.stop({ graceMs: 5000 });
  await h.timers.advance(5000);
  await stopping;
  assert.equal(h.stored.length, 0);
  assert.ok(h.logger.lines.some((line) => line.includes('probe_abandoned')));
});

test('ticks waiting for a slot are dropped by stop(), not started', async () => {
  const gate = gatedProbe();
  const h = harness({ concurrency: 1, probe: gate.probe });
  h.scheduler.sync([fakeTarget('a/m', EVERY_30S, 1), fakeTarget('b/m', EVERY_30S, 2)]);
  await h.timers.advance(60_000);
  assert.equal(gate.running(), 1);
  const stopping = h.scheduler.stop();
  gate.releaseAll();
  await stopping;
  await h.timers.advance(1);
  assert.equal(gate.running(), 0);
  assert.equal(h.stored.length, 1);
});

test('runNow probes at once through the pipeline, and refuses unknown targets', async () => {
  const h = harness();
  h.scheduler.sync([fakeTarget('p/m')]);
  const stored = await h.scheduler.runNow('p/m');
  assert.equal(stored.ok, true);
  assert.equal(h.stored.length, 1);
  await assert.rejects(h.scheduler.runNow('p/nope'), /no target/);
  // A tick waiting out its offset (time stops just after the tick) does not hold runNow up.
  await h.timers.advance(30_000);
  assert.equal(h.stored.length, 1, 'the tick is still waiting for its offset');
  assert.equal((await h.scheduler.runNow('p/m')).ok, true);
  assert.equal(h.stored.length, 2);
  await h.timers.advance(60_000);
  assert.equal(h.stored.length, 3, 'the next tick runs as usual');
  await h.scheduler.stop();
});
