import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createMemoryLogger } from '../src/lib/logger.ts';
import { createRetentionJob, retentionCuts, type Retention } from '../src/scheduler/retention-job.ts';
import { DAY, HOUR, WINDOW_NAMES } from '../src/stats/windows.ts';
import { findModel, findProvider } from '../src/store/catalog-read.ts';
import { modelMetrics, providerMetrics } from '../src/store/metrics.ts';
import { createManualTimers, createScenarioClock, settle } from './helpers/manual-timers.ts';
import { openMetricsDb, seededRandom, SOME_CLASSES, type MetricsDb } from './helpers/metrics-db.ts';

/**
 * Retention: after a prune nothing older than each configured age remains (cuts on hour
 * boundaries), and the metrics of every window inside retention are exactly what they were.
 */
const NOW = Date.UTC(2026, 0, 20, 15, 42, 10);
const RETENTION: Retention = { raw: '2d', minute_rollups: '3d', hour_rollups: '5d', webhook_history: '30d' };

let m: MetricsDb;

async function fill(from: number, to: number, every: number, seed: number) {
  const random = seededRandom(seed);
  for (let at = from; at < to; at += every) {
    const target = m.targets[Math.floor(random() * m.targets.length)]!;
    const failing = random() < 0.1;
    await m.record(target, failing ? { startedAt: at, ok: false, errorClass: SOME_CLASSES[Math.floor(random() * SOME_CLASSES.length)]! } : { startedAt: at, latencyMs: 50 + random() * 900 });
  }
}

const count = async (table: 'probe_results' | 'rollups_minute' | 'rollups_hour', column: 'started_at' | 'bucket', before: number) =>
  Number((await m.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where(column, '<', before).executeTakeFirstOrThrow()).n);

before(async () => {
  m = await openMetricsDb([
    { slug: 'alpha', models: ['m1', 'm2'] },
    { slug: 'beta', models: ['m1'] },
  ]);
  await fill(NOW - 8 * DAY, NOW, 17 * 60_000, 1);
});
after(() => m.close());

async function everyWindow() {
  const db = m.db.kysely;
  const out = [];
  for (const window of WINDOW_NAMES.filter((w) => w !== '7d')) {
    out.push(await providerMetrics(db, (await findProvider(db, 'alpha'))!, window, NOW));
    out.push(await modelMetrics(db, (await findModel(db, 'm1'))!, window, NOW));
  }
  return out;
}

test('a prune removes exactly what is past each age, in small batches, and changes no window inside retention', async () => {
  const cuts = retentionCuts(RETENTION, NOW);
  assert.deepEqual(cuts, { results: Math.floor((NOW - 2 * DAY) / HOUR) * HOUR, minute: Math.floor((NOW - 3 * DAY) / HOUR) * HOUR, hour: Math.floor((NOW - 5 * DAY) / HOUR) * HOUR });
  const expected = { results: await count('probe_results', 'started_at', cuts.results), minute: await count('rollups_minute', 'bucket', cuts.minute), hour: await count('rollups_hour', 'bucket', cuts.hour) };
  assert.ok(expected.results > 100 && expected.minute > 100 && expected.hour > 10, 'there is something to prune');
  const metricsBefore = await everyWindow();

  const clock = createScenarioClock(NOW);
  const job = createRetentionJob({ db: m.db.kysely, retention: () => RETENTION, clock, timers: createManualTimers(clock), logger: createMemoryLogger(), batchSize: 7 });
  const report = await job.runOnce();
  assert.deepEqual(report, expected);
  for (const [table, column, cut] of [['probe_results', 'started_at', cuts.results], ['rollups_minute', 'bucket', cuts.minute], ['rollups_hour', 'bucket', cuts.hour]] as const) {
    assert.equal(await count(table, column, cut), 0, `${table}: nothing older than its cut`);
    assert.ok((await count(table, column, cut + 2 * HOUR)) > 0, `${table}: what is just inside the cut stays`);
  }
  assert.deepEqual(await everyWindow(), metricsBefore);
  assert.deepEqual(await job.runOnce(), { results: 0, minute: 0, hour: 0 }, 'a second run finds nothing');
});

test('the job prunes at start-up and then every hour', async () => {
  const clock = createScenarioClock(NOW);
  const timers = createManualTimers(clock);
  const logger = createMemoryLogger();
  const job = createRetentionJob({ db: m.db.kysely, retention: () => RETENTION, clock, timers, logger });
  await fill(NOW - 4 * DAY, NOW - 3 * DAY, 30 * 60_000, 2);
  // No runOnce() here: the runs must come from start() and from the hourly timer on their own.
  const runs = () => logger.lines.filter((line) => line.includes('[retention] pruned')).length;
  const waitForRuns = async (n: number) => {
    for (let turn = 0; turn < 2000 && runs() < n; turn++) await settle(1);
  };
  job.start();
  await waitForRuns(1);
  assert.equal(await count('probe_results', 'started_at', retentionCuts(RETENTION, NOW).results), 0, 'pruned at start-up');

  await fill(NOW - 4 * DAY, NOW - 3 * DAY, 30 * 60_000, 3);
  await timers.advance(20 * 60_000); // 16:02
  await settle();
  assert.equal(runs(), 1, 'nothing before the hourly time');
  await timers.advance(10 * 60_000); // past 16:07
  await waitForRuns(2);
  assert.equal(await count('probe_results', 'started_at', retentionCuts(RETENTION, clock.now()).results), 0, 'pruned by the hourly run');
  await job.stop();
});
