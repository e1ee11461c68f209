import assert from 'node:assert/strict';
import { test } from 'node:test';
import { windowEndingAt } from '../src/stats/windows.ts';
import { rebuildRollups } from '../src/store/rollups-rebuild.ts';
import { latencySeries } from '../src/web/latency-series.ts';
import { createMemo } from '../src/web/memo.ts';
import { periodContaining, periodReport } from '../src/web/report-data.ts';
import { openMetricsDb } from './helpers/metrics-db.ts';

const HOUR = 3_600_000;

test('the dashboard memo forgets closed buckets when a rollups rebuild rewrites them', async () => {
  const now = Date.UTC(2026, 2, 3, 12, 30, 0);
  const m = await openMetricsDb([{ slug: 'alpha', models: ['m1'] }], now - 2 * 24 * HOUR);
  try {
    for (let at = now - 6 * HOUR; at < now; at += 30_000) await m.record(m.targets[0]!, { startedAt: at, latencyMs: 200 });
    const db = m.db.kysely;
    const ids = [m.targets[0]!.id];
    const memo = createMemo();
    const range = windowEndingAt('24h', now);
    const before = await latencySeries(db, ids, range, now, memo);
    const month = periodContaining('month', now);
    const reportBefore = await periodReport(db, month, now, memo);

    // Corrected data (or a version that times differently), then `cappulse rollups rebuild`:
    // the closed buckets' rollups change although no probe was added.
    await db.updateTable('probe_results').set({ latency_ms: 900 }).where('started_at', '<', now - 2 * HOUR).execute();
    await rebuildRollups(db);

    const after = await latencySeries(db, ids, range, now, memo);
    assert.deepEqual(after, await latencySeries(db, ids, range, now, createMemo()), 'the memo answers what a fresh read answers');
    assert.notDeepEqual(after.p50, before.p50, 'the rewritten hours show');
    assert.deepEqual(await periodReport(db, month, now, memo), await periodReport(db, month, now, createMemo()));
    assert.notDeepEqual(await periodReport(db, month, now, memo), reportBefore);
  } finally {
    await m.close();
  }
});
