/**
 * The metrics read path against the naive exact answer, ingest with rollups against raw inserts,
 * and disk per target-month, all in one run.
 *
 *   node --import tsx scripts/bench/metrics.ts [--days 7] [--requests 200]
 *
 * Seeds 7 days of 100 targets at one probe a minute (10 providers × 10 models, ~1M results) and
 * 10 targets at one per 5 s (provider "fast", ~1.2M) with raw better-sqlite3 batched inserts,
 * builds the rollups with the same code as `cappulse rollups rebuild`, then:
 *   1. GET /v1/providers/{slug}/metrics and /v1/models/{slug}/metrics?window=1h|24h|7d on the real
 *      server (the first request, which merges the closed time once, and then p50/p99), the store
 *      function alone (p50/p99, CPU and GC pauses per call, and the first call after the window
 *      moved on by a minute and by an hour), next to the naive exact answer for the same targets
 *      and window (SELECT the raw latencies, sort);
 *   2. ingest: results/s through the pipeline with the rollup stage, against raw better-sqlite3
 *      inserts (one per transaction) and the pipeline without stages, into the seeded file;
 *   3. disk: a separate file with 10 targets × 30 days at one per minute, measured per table and
 *      projected to a year of 100 targets with the default retention;
 *   4. digests: ours against the npm tdigest package (size, merge, quantile read).
 */
import type { Kysely } from 'kysely';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createApp } from '../../src/app.ts';
import type { Database } from '../../src/db/schema.ts';
import { validateConfig } from '../../src/config/load.ts';
import { resolveTargets } from '../../src/config/targets.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createPipeline } from '../../src/scheduler/pipeline.ts';
import { createRollupStage } from '../../src/scheduler/rollup-stage.ts';
import type { SchedulerTimers } from '../../src/scheduler/timers.ts';
import { DAY, HOUR, WINDOWS, type WindowName } from '../../src/stats/windows.ts';
import { syncCatalog, type CatalogTarget } from '../../src/store/catalog.ts';
import { issueApiKey } from '../../src/store/keys.ts';
import { modelMetrics, providerMetrics } from '../../src/store/metrics.ts';
import { rebuildRollups } from '../../src/store/rollups-rebuild.ts';
import { createWindowCache, type WindowCache } from '../../src/store/window-cache.ts';
import { tempDir } from '../../test/helpers/temp.ts';
import { compareDigests } from './metrics-digests.ts';
import { naivePercentiles, percentile, seedRaw, tableBytes } from './metrics-seed.ts';

const { values } = parseArgs({ options: { days: { type: 'string', default: '7' }, requests: { type: 'string', default: '200' } } });
const DAYS = Number(values.days);
const REQUESTS = Number(values.requests);
const NOW = Date.UTC(2026, 10, 26, 12, 34, 56, 789);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(2));
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

const slow = Array.from({ length: 10 }, (_, p) => ({
  slug: `p${String(p).padStart(2, '0')}`,
  kind: 'openai' as const,
  base_url: 'http://127.0.0.1:9/v1',
  schedule: '0 * * * * *',
  models: Array.from({ length: 10 }, (_, m) => ({ slug: `m${String(m).padStart(2, '0')}` })),
}));
const fast = { slug: 'fast', kind: 'openai' as const, base_url: 'http://127.0.0.1:9/v1', schedule: '*/5 * * * * *', models: Array.from({ length: 10 }, (_, m) => ({ slug: `f${String(m).padStart(2, '0')}` })) };
const everyMs = (t: CatalogTarget) => (t.providerSlug === 'fast' ? 5_000 : 60_000);
/** Nothing probes on its own: the figures are about reading what was seeded. */
const idleTimers: SchedulerTimers = { cron: () => ({ stop() {} }), delay: () => () => {} };
const quiet = createLogger({ level: 'error' });

async function seed(path: string, providers: unknown[], days: number) {
  const config = validateConfig({ server: { port: 0 }, storage: { path }, providers }, 'bench', {});
  const db = openDatabase(path);
  await migrateToLatest(db.kysely);
  const targets = await syncCatalog(db.kysely, resolveTargets(config), NOW - days * DAY);
  const t0 = performance.now();
  const rows = seedRaw(db.sqlite, { targets, everyMs, from: NOW - days * DAY - HOUR, to: NOW });
  return { config, db, targets, rows, seedS: (performance.now() - t0) / 1000 };
}

/** Garbage-collection pauses seen so far (count and milliseconds), from the runtime's own gc entries. */
const gc = { count: 0, ms: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count += 1;
    gc.ms += entry.duration;
  }
}).observe({ entryTypes: ['gc'] });
const settled = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs `fn` n times one after another: wall-clock p50/p99, mean CPU time (user + system) per
 * call, and the garbage-collection pauses per 100 calls (GC is what makes a tail here).
 */
async function timed(fn: () => Promise<unknown>, n: number): Promise<{ p50: number; p99: number; cpu: number; gcCount: number; gcMs: number }> {
  const times: number[] = [];
  await settled();
  const gc0 = { ...gc };
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  await settled();
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), cpu: (cpu.user + cpu.system) / 1000 / n, gcCount: ((gc.count - gc0.count) * 100) / n, gcMs: ((gc.ms - gc0.ms) * 100) / n };
}

async function main() {
  const dir = tempDir('cappulse-bench-metrics-');
  const main = await seed(dir.file('bench.db'), [...slow, fast], DAYS);
  console.log(`seeded ${main.rows} results and their rollups in ${main.seedS.toFixed(1)} s (raw batched inserts, rollups folded in memory)  [${elapsed()}]`);
  // `cappulse rollups rebuild` over the last 6 hours of the same file, for its own throughput.
  const t0 = performance.now();
  const rebuilt = await rebuildRollups(main.db.kysely, { since: NOW - 6 * HOUR });
  const rebuildS = (performance.now() - t0) / 1000;
  console.log(`rollups rebuild: ${rebuilt.results} results (${rebuilt.hours} hours) in ${rebuildS.toFixed(1)} s = ${Math.round(rebuilt.results / rebuildS)} results/s  [${elapsed()}]`);

  // 1. Reads: the naive exact answer first (same file, raw better-sqlite3), then the real API.
  const ids = (keep: (t: CatalogTarget) => boolean) => main.targets.filter(keep).map((t) => t.id);
  const scopes = [
    { label: 'provider fast (10 models, 1 per 5 s)', path: '/v1/providers/fast/metrics', ids: ids((t) => t.providerSlug === 'fast'), read: (db: Kysely<Database>, w: WindowName, now: number, cache: WindowCache) => providerMetrics(db, { id: main.targets.find((t) => t.providerSlug === 'fast')!.providerId }, w, now, cache) },
    { label: 'provider p00 (10 models, 1 per min)', path: '/v1/providers/p00/metrics', ids: ids((t) => t.providerSlug === 'p00'), read: (db: Kysely<Database>, w: WindowName, now: number, cache: WindowCache) => providerMetrics(db, { id: main.targets.find((t) => t.providerSlug === 'p00')!.providerId }, w, now, cache) },
    { label: 'model m00 (10 providers, 1 per min)', path: '/v1/models/m00/metrics', ids: ids((t) => t.modelSlug === 'm00'), read: (db: Kysely<Database>, w: WindowName, now: number, cache: WindowCache) => modelMetrics(db, { id: main.targets.find((t) => t.modelSlug === 'm00')!.modelId }, w, now, cache) },
  ];
  const windows: WindowName[] = ['7d', '24h', '1h'];
  const naive = new Map<string, number>();
  for (const scope of scopes) {
    for (const window of windows) {
      const reps = window === '7d' ? 3 : window === '24h' ? 5 : 20;
      const times: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t0 = performance.now();
        naivePercentiles(main.db.sqlite, scope.ids, NOW - WINDOWS[window].spanMs, NOW);
        times.push(performance.now() - t0);
      }
      naive.set(`${scope.path}${window}`, times.sort((a, b) => a - b)[Math.floor(reps / 2)]!);
    }
  }
  await main.db.close();
  console.log(`naive baseline measured  [${elapsed()}]`);

  const app = await createApp(main.config, { clock: { now: () => NOW, monotonic: () => performance.now() }, logger: quiet, timers: idleTimers });
  await app.start();
  const { key } = await issueApiKey(app.db.kysely, { name: 'bench', scopes: ['read'], rateLimit: 1e9, monthlyQuota: 1e9, expiresAt: null }, NOW);
  const headers = { authorization: `Bearer ${key}` };
  const get = (url: string) => async () => {
    const res = await fetch(url, { headers });
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  const floor = await timed(get(`${app.url()}/healthz`), REQUESTS);
  const rows: string[] = [];
  const moves: string[] = [];
  for (const scope of scopes) {
    for (const window of windows) {
      const http = get(`${app.url()}${scope.path}?window=${window}`);
      const cold = await timed(http, 1);
      const viaHttp = await timed(http, REQUESTS);
      // The store function the route calls, with a window cache of its own (the server's is inside createHttpApp).
      const cache = createWindowCache();
      const read = (now: number) => () => scope.read(app.db.kysely, window, now, cache);
      await read(NOW)();
      const direct = await timed(read(NOW), REQUESTS);
      // What a live server pays when its window moves on: the closed minutes are merged again
      // every minute, the closed hours every hour (the benchmark's clock stands still).
      const minuteOn = await timed(read(NOW + 60_000), 1);
      const hourOn = await timed(read(NOW + HOUR), 1);
      const exact = naive.get(`${scope.path}${window}`)!;
      rows.push(
        `| ${scope.label} | ${window} | ${fmt(cold.p50)} | ${fmt(viaHttp.p50)} | ${fmt(viaHttp.p99)} | ${fmt(viaHttp.cpu)} | ${fmt(direct.p50)} | ${fmt(direct.p99)} | ${fmt(direct.cpu)} | ${direct.gcCount.toFixed(0)} / ${fmt(direct.gcMs)} | ${fmt(exact)} | ${(exact / viaHttp.p50).toFixed(0)}× |`,
      );
      moves.push(`| ${scope.label} | ${window} | ${fmt(minuteOn.p50)} | ${fmt(hourOn.p50)} |`);
    }
  }
  await app.stop();
  console.log(
    `\nGET /healthz on the same server (the floor of the HTTP path here): p50 ${fmt(floor.p50)} ms, p99 ${fmt(floor.p99)} ms\n` +
      `| scope | window | first request ms | HTTP p50 ms | HTTP p99 ms | HTTP CPU ms/req (client + server) | read fn p50 ms | read fn p99 ms | read fn CPU ms | read fn GC per 100 calls (pauses / ms) | naive exact ms | naive / HTTP p50 |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n` +
      `\nread fn, first call after the window moved on (ms):\n| scope | window | a minute later | an hour later |\n|---|---|---|---|\n${moves.join('\n')}\n  [${elapsed()}]`,
  );

  // 2. Ingest into the seeded file: pipeline + rollups vs raw inserts vs pipeline alone.
  const db = openDatabase(dir.file('bench.db'));
  const targets = main.targets;
  const N = 3000;
  const result = (i: number) => ({ startedAt: NOW + i * 20, ok: true, errorClass: null, httpStatus: 200, latencyMs: 400 + (i % 500), ttftMs: 150, ttfbMs: 120, outputTokens: 1, requestId: `req_bench_${i}`, rateLimit: null, errorMessage: null });
  /** Results per second of wall time, and per second of CPU time (what one free core would do). */
  const rate = async (run: (i: number) => Promise<void> | void) => {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < N; i++) await run(i);
    const cpu = process.cpuUsage(cpu0);
    return { wall: N / ((performance.now() - t0) / 1000), cpu: N / ((cpu.user + cpu.system) / 1e6) };
  };
  const withRollups = createPipeline({ db, stages: [createRollupStage()], afterCommit: [], logger: quiet });
  const bare = createPipeline({ db, stages: [], afterCommit: [], logger: quiet });
  const raw = db.sqlite.prepare('insert into probe_results (target_id, started_at, ok, latency_ms, ttft_ms, request_id) values (?, ?, 1, ?, 150, ?)');
  const rawTx = db.sqlite.transaction((i: number) => raw.run(targets[i % targets.length]!.id, NOW + i * 20, 400 + (i % 500), `req_bench_${i}`));
  type Rate = Awaited<ReturnType<typeof rate>>;
  const ingest = { rollups: [] as Rate[], bare: [] as Rate[], raw: [] as Rate[] };
  for (let round = 0; round < 3; round++) {
    ingest.raw.push(await rate((i) => void rawTx(i)));
    ingest.bare.push(await rate(async (i) => void (await bare.record(targets[i % targets.length]!, result(i)))));
    ingest.rollups.push(await rate(async (i) => void (await withRollups.record(targets[i % targets.length]!, result(i)))));
  }
  await db.close();
  const median = (xs: Rate[], key: keyof Rate) => xs.map((x) => x[key]).sort((a, b) => a - b)[1]!;
  const line = (name: string, xs: Rate[]) => `${name}: ${median(xs, 'wall').toFixed(0)}/s wall, ${median(xs, 'cpu').toFixed(0)}/s per CPU-second`;
  console.log(
    `\ningest, median of 3 rounds of ${N} one-result transactions into the seeded file:\n  ${line('pipeline + rollup stage', ingest.rollups)}\n  ${line('pipeline without stages', ingest.bare)}\n  ${line('raw better-sqlite3 insert', ingest.raw)}\n  rollups at ${((100 * median(ingest.rollups, 'wall')) / median(ingest.raw, 'wall')).toFixed(0)}% of raw (wall)  [${elapsed()}]`,
  );

  // 3. Disk: 10 targets × 30 days at one per minute, projected with the default retention.
  const sizing = await seed(dir.file('size.db'), [{ ...slow[0]!, slug: 'size' }], 30);
  const bytes = tableBytes(sizing.db.sqlite);
  await sizing.db.close();
  const perTargetMonth = (table: string) => (bytes.get(table) ?? 0) / 10;
  const raw30 = perTargetMonth('probe_results');
  const minute30 = perTargetMonth('rollups_minute');
  const hour30 = perTargetMonth('rollups_hour');
  // Kept at steady state: raw 7 days (+ the hour the cut rounds to), minute rollups 8 days, hour rollups all year.
  const year = 100 * (raw30 * ((7 * DAY + HOUR) / (30 * DAY)) + minute30 * (8 / 30) + hour30 * (365 / 30));
  console.log(
    `\nper target-month at 1/min: raw ${mb(raw30)}, minute rollups ${mb(minute30)}, hour rollups ${mb(hour30)} (an hour row averages ${Math.round(hour30 / 720)} bytes)\n` +
      `a year of 100 targets at 1/min with default retention (raw 7d, minute 8d, hour 400d): ${mb(year)}  [${elapsed()}]`,
  );
  console.log(`\ndigests, ours against the npm tdigest package:\n  ${compareDigests().join('\n  ')}  [${elapsed()}]`);
  dir.remove();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
