/**
 * Dashboard pages on a realistic file: how long each page takes to render, next to `/healthz`
 * (the floor: same server, no data) and the metrics read it is built on (the JSON API's cost),
 * in the same run.
 *
 *   node --import tsx scripts/bench/dashboard.ts [--days 30] [--requests 30]
 *
 * Seeds 2 providers × 10 models at one probe a minute for 30 days (~864k results, raw batched
 * inserts and rollups folded in memory, as scripts/bench/metrics.ts does), then requests every
 * page once cold (closed hours not yet merged) and `--requests` times warm.
 */
import { parseArgs } from 'node:util';
import { createApp } from '../../src/app.ts';
import { validateConfig } from '../../src/config/load.ts';
import { resolveTargets } from '../../src/config/targets.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/lib/logger.ts';
import type { SchedulerTimers } from '../../src/scheduler/timers.ts';
import { DAY, HOUR } from '../../src/stats/windows.ts';
import { syncCatalog } from '../../src/store/catalog.ts';
import { providerMetrics } from '../../src/store/metrics.ts';
import { createWindowCache } from '../../src/store/window-cache.ts';
import { tempDir } from '../../test/helpers/temp.ts';
import { percentile, seedRaw } from './metrics-seed.ts';

const { values } = parseArgs({ options: { days: { type: 'string', default: '30' }, requests: { type: 'string', default: '30' } } });
const DAYS = Number(values.days);
const REQUESTS = Number(values.requests);
const NOW = Date.UTC(2026, 10, 26, 12, 34, 56, 789);
const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const idleTimers: SchedulerTimers = { cron: () => ({ stop() {} }), delay: () => () => {} };

const providers = ['p0', 'p1'].map((slug) => ({
  slug,
  kind: 'openai' as const,
  base_url: 'http://127.0.0.1:9/v1',
  schedule: '0 * * * * *',
  models: Array.from({ length: 10 }, (_, m) => ({ slug: `m${m}` })),
}));

async function timed(fn: () => Promise<unknown>, n: number): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

async function main() {
  const dir = tempDir('cappulse-bench-dashboard-');
  const path = dir.file('bench.db');
  const config = validateConfig({ server: { port: 0 }, storage: { path }, providers }, 'bench', {});
  const seedDb = openDatabase(path);
  await migrateToLatest(seedDb.kysely);
  const targets = await syncCatalog(seedDb.kysely, resolveTargets(config), NOW - DAYS * DAY);
  const t0 = performance.now();
  const rows = seedRaw(seedDb.sqlite, { targets, everyMs: () => 60_000, from: NOW - DAYS * DAY - HOUR, to: NOW });
  await seedDb.close();
  console.log(`seeded ${rows} results (${targets.length} targets, ${DAYS} days) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const app = await createApp(config, { clock: { now: () => NOW, monotonic: () => performance.now() }, logger: createLogger({ level: 'error' }), timers: idleTimers });
  await app.start();
  const get = (p: string) => async () => {
    const res = await fetch(`${app.url()}${p}`);
    if (res.status !== 200) throw new Error(`${p}: ${res.status}`);
    await res.arrayBuffer();
  };
  const floor = await timed(get('/healthz'), REQUESTS * 3);
  const p0 = { id: targets.find((t) => t.providerSlug === 'p0')!.providerId };
  const windows = createWindowCache();
  const read7d = await timed(() => providerMetrics(app.db.kysely, p0, '7d', NOW, windows), REQUESTS);
  const pages = ['/', '/providers/p0?window=1h', '/providers/p0?window=24h', '/providers/p0?window=7d', '/models/m0?window=7d', '/incidents', '/reports?period=day', '/reports?period=week', '/reports?period=month'];
  console.log(`\n/healthz p50 ${fmt(floor.p50)} ms; providerMetrics(p0, 7d) alone p50 ${fmt(read7d.p50)} ms p99 ${fmt(read7d.p99)} ms\n`);
  console.log('| page | cold (ms) | p50 (ms) | p99 (ms) | p50 / healthz |');
  console.log('|---|---:|---:|---:|---:|');
  for (const page of pages) {
    const cold = await timed(get(page), 1);
    const warm = await timed(get(page), REQUESTS);
    console.log(`| \`${page}\` | ${fmt(cold.p50)} | ${fmt(warm.p50)} | ${fmt(warm.p99)} | ${(warm.p50 / floor.p50).toFixed(0)}× |`);
  }
  await app.stop();
  dir.remove();
}

await main();
