import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ProbeResult } from '../src/probe/types.ts';
import { AVAILABILITY_FAILURES, RATE_LIMIT_CLASSES } from '../src/probe/types.ts';
import { OUTCOMES, outcomeOf } from '../src/stats/aggregate.ts';
import type { Headline, MetricsObject } from '../src/stats/metrics-object.ts';
import { DAY, HOUR, MINUTE, WINDOW_NAMES, WINDOWS, type WindowName } from '../src/stats/windows.ts';
import { findModel, findProvider, listTargetInfos } from '../src/store/catalog-read.ts';
import { modelMetrics, providerMetrics, type ScopeMetrics } from '../src/store/metrics.ts';
import { rebuildRollups } from '../src/store/rollups-rebuild.ts';
import { createWindowCache, type WindowCache } from '../src/store/window-cache.ts';
import { openMetricsDb, probeResult, seededRandom, snapshot, SOME_CLASSES, type MetricsDb } from './helpers/metrics-db.ts';
import { rankError } from './helpers/rank.ts';

/**
 * Windows read through rollups and the closed-time cache must count exactly what a brute-force
 * scan of the same results counts: results on bucket edges, in the ragged first and last hour
 * and minute, and outside the window (before, after, in the future) once or not at all. Reads
 * go through one WindowCache, as the server's do, and must agree with uncached reads.
 */
const NOW = Date.UTC(2026, 0, 10, 10, 30, 15, 500);
type Placed = ProbeResult & { targetId: number; seq: number };

let m: MetricsDb;
let cache: WindowCache;
const placed: Placed[] = [];

async function place(provider: string, model: string, result: Partial<ProbeResult> & { startedAt: number }): Promise<void> {
  const target = m.target(provider, model);
  await m.record(target, result);
  placed.push({ ...probeResult(result), targetId: target.id, seq: placed.length });
}

before(async () => {
  // The app's clock at NOW: the stage skips span invalidation for results younger than the grace.
  m = await openMetricsDb(
    [
      { slug: 'alpha', models: ['m1', 'm2'] },
      { slug: 'beta', models: ['m1'] },
    ],
    NOW - 9 * DAY,
  );
  cache = createWindowCache();
  const random = seededRandom(7);
  const pairs = [['alpha', 'm1'], ['alpha', 'm2'], ['beta', 'm1']] as const;
  // Random results over 8 days before now and an hour after it, in shuffled order.
  for (let i = 0; i < 1500; i++) {
    const [provider, model] = pairs[i % 3]!;
    const startedAt = NOW - 8 * DAY + Math.floor(random() * (8 * DAY + HOUR));
    const failing = random() < (provider === 'beta' ? 0.3 : 0.05);
    const latency = Math.exp(5.5 + 0.5 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
    const limited = random() < 0.2;
    await place(provider, model, {
      startedAt,
      ...(failing ? { ok: false, errorClass: SOME_CLASSES[Math.floor(random() * SOME_CLASSES.length)]!, latencyMs: null, ttftMs: null } : { latencyMs: latency, ttftMs: latency * 0.4 }),
      rateLimit: limited ? snapshot(Math.floor(random() * 100), 100) : null,
    });
  }
  // Exact edges of every window, and the bucket boundaries next to them.
  for (const name of WINDOW_NAMES) {
    const from = NOW - WINDOWS[name].spanMs;
    for (const t of [from - 1, from, from + 1, Math.ceil(from / MINUTE) * MINUTE, Math.ceil(from / HOUR) * HOUR - 1, Math.ceil(from / HOUR) * HOUR, NOW - 1, NOW, NOW + 1]) {
      await place('alpha', 'm1', { startedAt: t, latencyMs: 100 + (t % 1000) });
    }
  }
  for (const t of [Math.floor(NOW / HOUR) * HOUR, Math.floor(NOW / MINUTE) * MINUTE - 1, Math.floor(NOW / MINUTE) * MINUTE]) {
    await place('beta', 'm1', { startedAt: t, ok: false, errorClass: 'rate_limited', rateLimit: snapshot(0, 50) });
  }
});

after(async () => m.close());

function exact(targetIds: readonly number[], from: number, to: number) {
  const inside = placed.filter((r) => targetIds.includes(r.targetId) && r.startedAt >= from && r.startedAt < to);
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, inside.filter((r) => outcomeOf(r) === o).length]));
  const fails = inside.filter((r) => !r.ok && AVAILABILITY_FAILURES.has(outcomeOf(r) as never)).length;
  const ok = counts.ok!;
  const latencies = inside.filter((r) => r.ok && r.latencyMs !== null).map((r) => r.latencyMs!).sort((a, b) => a - b);
  const limited = inside.filter((r) => RATE_LIMIT_CLASSES.has(outcomeOf(r) as never)).length;
  const withLimits = inside.filter((r) => r.rateLimit);
  const latest = withLimits.sort((a, b) => a.startedAt - b.startedAt || a.seq - b.seq).at(-1);
  const ratios = withLimits.map((r) => r.rateLimit!.requests_remaining! / r.rateLimit!.requests_limit!);
  return {
    probes: inside.length,
    counts,
    availability: ok + fails === 0 ? null : ok / (ok + fails),
    rate_limited_rate: inside.length === 0 ? null : limited / inside.length,
    latencies,
    latest: latest?.rateLimit ?? null,
    lowest: ratios.length === 0 ? null : Math.min(...ratios),
  };
}

function assertHeadline(got: Headline, targetIds: readonly number[], window: WindowName, label: string) {
  const want = exact(targetIds, NOW - WINDOWS[window].spanMs, NOW);
  assert.equal(got.probes, want.probes, `${label}: probes`);
  assert.deepEqual(got.counts, want.counts, `${label}: counts`);
  assert.equal(got.availability, want.availability, `${label}: availability`);
  assert.equal(got.rate_limited_rate, want.rate_limited_rate, `${label}: rate_limited_rate`);
  assert.equal(got.latency_ms?.samples ?? 0, want.latencies.length, `${label}: samples`);
  assert.deepEqual(got.rate_limit.latest, want.latest, `${label}: latest rate limit`);
  assert.equal(got.rate_limit.lowest_ratio, want.lowest, `${label}: lowest ratio`);
  if (want.latencies.length > 0) {
    const lat = got.latency_ms!;
    assert.equal(lat.max, Math.round(want.latencies.at(-1)! * 100) / 100, `${label}: max`);
    const mean = want.latencies.reduce((a, b) => a + b, 0) / want.latencies.length;
    assert.ok(Math.abs(lat.mean - mean) < 0.01, `${label}: mean ${lat.mean} vs ${mean}`);
    for (const [p, value] of [[0.5, lat.p50], [0.9, lat.p90], [0.95, lat.p95], [0.99, lat.p99]] as const) {
      const error = Math.abs(rankError(want.latencies, value, p, 0.001));
      assert.ok(error <= 0.01 + 1 / want.latencies.length, `${label}: p${p * 100} rank error ${error}`);
    }
  }
}

function assertMatches(got: MetricsObject, targetIds: readonly number[], window: WindowName, label: string) {
  assertHeadline(got, targetIds, window, label);
  const from = NOW - WINDOWS[window].spanMs;
  const bucketMs = WINDOWS[window].bucketMs;
  let total = 0;
  for (const point of got.series.points) {
    const start = Date.parse(point.start);
    const bucket = exact(targetIds, Math.max(start, from), Math.min(start + bucketMs, NOW));
    assert.equal(point.probes, bucket.probes, `${label}: series ${point.start}`);
    assert.equal(point.error_rate, bucket.availability === null ? null : 1 - bucket.availability, `${label}: series error rate ${point.start}`);
    total += point.probes;
  }
  assert.equal(total, got.probes, `${label}: series adds up`);
}

type ScopeRead = { label: string; ids: number[]; read: (w: WindowName) => Promise<ScopeMetrics>; uncached: (w: WindowName) => Promise<ScopeMetrics> };

async function scopes(): Promise<ScopeRead[]> {
  const db = m.db.kysely;
  const out = [];
  for (const slug of ['alpha', 'beta']) {
    const provider = (await findProvider(db, slug))!;
    const ids = (await listTargetInfos(db, { providerIds: [provider.id] })).map((t) => t.id);
    out.push({ label: `provider ${slug}`, ids, read: (w: WindowName) => providerMetrics(db, provider, w, NOW, cache), uncached: (w: WindowName) => providerMetrics(db, provider, w, NOW) });
  }
  const model = (await findModel(db, 'm1'))!;
  const ids = (await listTargetInfos(db, { modelIds: [model.id] })).map((t) => t.id);
  out.push({ label: 'model m1', ids, read: (w: WindowName) => modelMetrics(db, model, w, NOW, cache), uncached: (w: WindowName) => modelMetrics(db, model, w, NOW) });
  return out;
}

/** Rows changed by this connection since it opened: a read must leave it where it was. */
const changes = () => (m.db.sqlite.prepare('select total_changes() as n').get() as { n: number }).n;

test('every window of every scope counts exactly what a scan of the raw results counts', async () => {
  const before = changes();
  for (const scope of await scopes()) {
    for (const window of WINDOW_NAMES) {
      const cold = await scope.read(window);
      assertMatches(cold.metrics, scope.ids, window, `${scope.label} ${window}`);
      for (const entry of cold.targets) assertHeadline(entry.metrics, [entry.target.id], window, `${scope.label} ${window} ${entry.target.modelSlug}`);
      const warm = await scope.read(window);
      assert.deepEqual(warm, cold, `${scope.label} ${window}: the cached closed time gives the same answer`);
      assert.deepEqual(await scope.uncached(window), cold, `${scope.label} ${window}: a read without the cache gives the same answer`);
    }
  }
  assert.equal(changes(), before, 'metrics reads write nothing');
});

test('the windows hold what they should at their edges', async () => {
  const alpha = (await scopes())[0]!;
  const { metrics } = await alpha.read('1h');
  // NOW-1h-1 and NOW are out; NOW-1h and NOW-1 are in.
  const inside = placed.filter((r) => alpha.ids.includes(r.targetId) && r.startedAt >= NOW - HOUR && r.startedAt < NOW);
  assert.equal(metrics.probes, inside.length);
  assert.ok(inside.some((r) => r.startedAt === NOW - HOUR) && inside.some((r) => r.startedAt === NOW - 1));
  assert.equal(metrics.series.points.length, 61, '1h of 1-minute buckets, both ends partial');
  assert.equal(metrics.series.points[0]!.start, new Date(Math.floor((NOW - HOUR) / MINUTE) * MINUTE).toISOString());
});

test('a late result in cached closed time is counted, in the hours and in the minutes', async () => {
  const alpha = (await scopes())[0]!;
  // 3 days back lands in the 7d window's whole hours; in the 24h window, in its first minutes
  // (before its first whole hour) and in the partial minute it starts in (raw rows the cache
  // holds); 20 minutes back in the 1h window's closed minutes.
  for (const [window, at] of [['7d', NOW - 3 * DAY], ['24h', NOW - DAY + 10 * MINUTE], ['24h', NOW - DAY + 2000], ['1h', NOW - 20 * MINUTE]] as const) {
    const before = await alpha.read(window);
    await place('alpha', 'm2', { startedAt: at, latencyMs: 5000 });
    const afterLate = await alpha.read(window);
    assert.equal(afterLate.metrics.probes, before.metrics.probes + 1, `${window}: probes`);
    assert.notDeepEqual(afterLate.metrics.latency_ms, before.metrics.latency_ms, `${window}: the slow result moves the latency summary`);
    assertMatches(afterLate.metrics, alpha.ids, window, `${window} after a late result`);
    assert.deepEqual(afterLate, await alpha.uncached(window), `${window}: cached and uncached agree after a late result`);
  }
});

test('a result landing in the open minutes is counted on the next read', async () => {
  const alpha = (await scopes())[0]!;
  const before = await alpha.read('1h');
  await place('alpha', 'm1', { startedAt: NOW - 2 * MINUTE, latencyMs: 4321, rateLimit: snapshot(1, 100) });
  const next = await alpha.read('1h');
  assert.equal(next.metrics.probes, before.metrics.probes + 1);
  assertMatches(next.metrics, alpha.ids, '1h', 'after a result in the open minutes');
  assert.deepEqual(next, await alpha.uncached('1h'));
});

test('a rebuild from raw results gives the same rollups and the same metrics', async () => {
  const db = m.db.kysely;
  const snapshotRows = async () => ({
    minute: await db.selectFrom('rollups_minute').selectAll().orderBy('target_id').orderBy('bucket').execute(),
    hour: await db.selectFrom('rollups_hour').selectAll().orderBy('target_id').orderBy('bucket').execute(),
  });
  const live = await snapshotRows();
  const answers = [];
  for (const scope of await scopes()) for (const window of WINDOW_NAMES) answers.push(await scope.read(window));

  await db.deleteFrom('rollups_minute').execute();
  await db.updateTable('rollups_hour').set({ probes: 999 }).execute();
  const report = await rebuildRollups(db);
  assert.equal(report.results, placed.length);
  assert.deepEqual(await snapshotRows(), live, 'rebuilt rows are identical, digests included');
  const again = [];
  for (const scope of await scopes()) for (const window of WINDOW_NAMES) again.push(await scope.read(window));
  assert.deepEqual(again, answers);

  // Rollups damaged behind the cache's back (another process, a manual edit) are seen too: the
  // cache checks the rows' fingerprint on every read instead of trusting a write path to tell it.
  const alpha = (await scopes())[0]!;
  const alphaWeek = answers[WINDOW_NAMES.indexOf('7d')]!;
  const hour = Math.floor((NOW - 2 * DAY) / HOUR) * HOUR;
  await db.updateTable('rollups_hour').set((eb) => ({ probes: eb('probes', '+', 1000), ok: eb('ok', '+', 1000) })).where('bucket', '=', hour).where('target_id', 'in', alpha.ids).execute();
  const damaged = await alpha.read('7d');
  const rows = (await db.selectFrom('rollups_hour').select('target_id').where('bucket', '=', hour).where('target_id', 'in', alpha.ids).execute()).length;
  assert.ok(rows > 0);
  assert.equal(damaged.metrics.probes, alphaWeek.metrics.probes + 1000 * rows);
  await rebuildRollups(db);
  assert.deepEqual(await alpha.read('7d'), alphaWeek);
});

test('rebuild --since leaves earlier hours alone', async () => {
  const db = m.db.kysely;
  const since = NOW - DAY;
  await db.updateTable('rollups_hour').set({ probes: 999 }).where('bucket', '<', since - HOUR).execute();
  const report = await rebuildRollups(db, { since });
  assert.equal(report.from, Math.floor(since / HOUR) * HOUR);
  const stale = await db.selectFrom('rollups_hour').select('bucket').where('probes', '=', 999).execute();
  assert.ok(stale.length > 0 && stale.every((row) => row.bucket < since - HOUR));
  await rebuildRollups(db);
});
