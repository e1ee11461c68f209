import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryLogger } from '../src/lib/logger.ts';
import { createRetentionJob, type Retention } from '../src/scheduler/retention-job.ts';
import { DAY } from '../src/stats/windows.ts';
import { createManualTimers, createScenarioClock } from './helpers/manual-timers.ts';
import { openMetricsDb, seededRandom } from './helpers/metrics-db.ts';

/**
 * "The database file stays bounded" without VACUUM: SQLite puts the pages a prune frees on its
 * freelist and the next day's rows reuse them, so once every retention age has passed, the file
 * stops growing. Ten simulated days of probing with the hourly job's prune after each day.
 */
const START = Date.UTC(2026, 2, 1);
const RETENTION: Retention = { raw: '1d', minute_rollups: '2d', hour_rollups: '3d', webhook_history: '30d' };
const EVERY = 5 * 60_000;

test('with retention running, the file stops growing once every age has passed: freed pages are reused', async () => {
  const clock = createScenarioClock(START);
  const m = await openMetricsDb([{ slug: 'alpha', models: ['m1', 'm2', 'm3'] }], START);
  try {
    const job = createRetentionJob({ db: m.db.kysely, retention: () => RETENTION, clock, timers: createManualTimers(clock), logger: createMemoryLogger(), batchSize: 200 });
    const random = seededRandom(7);
    const pages: number[] = [];
    const pruned: number[] = [];
    for (let day = 0; day < 10; day++) {
      for (let at = START + day * DAY; at < START + (day + 1) * DAY; at += EVERY) {
        for (const target of m.targets) {
          await m.record(target, random() < 0.05 ? { startedAt: at, ok: false, errorClass: 'server_error' } : { startedAt: at, latencyMs: 40 + random() * 2000 });
        }
      }
      clock.set(START + (day + 1) * DAY);
      const report = await job.runOnce();
      pruned.push(report.results + report.minute + report.hour);
      m.db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
      pages.push(m.db.sqlite.pragma('page_count', { simple: true }) as number);
    }
    assert.ok(pruned.slice(4).every((n) => n > 0), `every day from the fifth prunes something: ${pruned.join(', ')}`);
    assert.ok(pages[3]! > pages[0]!, `the file grows while the data is younger than its ages: ${pages.join(', ')}`);
    // From day 5 on, a day adds as many rows as the prune removed: the same pages serve them.
    const steady = pages[4]!;
    for (let day = 5; day < pages.length; day++) {
      assert.ok(pages[day]! <= steady * 1.05, `day ${day + 1}: ${pages[day]} pages against ${steady} on day 5 (${pages.join(', ')})`);
    }
  } finally {
    await m.close();
  }
});
