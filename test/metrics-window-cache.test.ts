import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DAY, HOUR, MINUTE, WINDOW_NAMES } from '../src/stats/windows.ts';
import { findModel, findProvider } from '../src/store/catalog-read.ts';
import { modelMetrics, providerMetrics } from '../src/store/metrics.ts';
import { rebuildRollups } from '../src/store/rollups-rebuild.ts';
import { createWindowCache } from '../src/store/window-cache.ts';
import { openMetricsDb, seededRandom, snapshot, type MetricsDb } from './helpers/metrics-db.ts';

/**
 * The window cache against uncached reads while time moves on and results keep arriving, as on
 * a live server: every answer must be the one a read without the cache gives, to the bit.
 */
const START = Date.UTC(2026, 2, 3, 9, 58, 41, 250);
let m: MetricsDb;
const random = seededRandom(11);

before(async () => {
  m = await openMetricsDb(
    [
      { slug: 'alpha', models: ['m1', 'm2'] },
      { slug: 'beta', models: ['m1'] },
    ],
    START - 8 * DAY,
  );
  // A day and two hours of history, a result every 30 s.
  for (let t = START - 26 * HOUR; t < START; t += 30_000) await place(t);
});

after(async () => m.close());

async function place(at: number, extra: { ok?: false } = {}): Promise<void> {
  const target = m.targets[Math.floor(random() * m.targets.length)]!;
  const latencyMs = Math.exp(5 + random() * 3);
  await m.record(target, extra.ok === false ? { startedAt: at, ok: false, errorClass: 'timeout' } : { startedAt: at, latencyMs, ttftMs: latencyMs / 3, rateLimit: snapshot(Math.floor(random() * 50), 50) });
}

async function readers() {
  const db = m.db.kysely;
  const alpha = (await findProvider(db, 'alpha'))!;
  const m1 = (await findModel(db, 'm1'))!;
  return [
    (now: number, w: (typeof WINDOW_NAMES)[number], cache?: ReturnType<typeof createWindowCache>) => providerMetrics(db, alpha, w, now, cache),
    (now: number, w: (typeof WINDOW_NAMES)[number], cache?: ReturnType<typeof createWindowCache>) => modelMetrics(db, m1, w, now, cache),
  ];
}

test('as the clock moves and results arrive, cached reads equal uncached ones', async () => {
  const cache = createWindowCache();
  const reads = await readers();
  let now = START;
  // Steps inside a minute, across minutes, across an hour, and a late result among them.
  for (const step of [0, 7_000, 30_000, 61_000, 5 * MINUTE, HOUR, 13 * MINUTE + 3_000]) {
    now += step;
    for (let t = now - step; t < now; t += 15_000) await place(t, random() < 0.05 ? { ok: false } : {});
    if (step === HOUR) await place(now - 3 * HOUR);
    for (const read of reads) {
      for (const window of WINDOW_NAMES) {
        const uncached = await read(now, window);
        assert.deepEqual(await read(now, window, cache), uncached, `${window} at +${now - START} ms`);
        assert.deepEqual(await read(now, window, cache), uncached, `${window} at +${now - START} ms, warm`);
      }
    }
  }
});

test('the minute a window ends in: from its rollups while they hold its results, from raw rows once one is from later', async () => {
  const cache = createWindowCache();
  const [alpha] = await readers();
  const now = START + 2 * HOUR + 42_500;
  const minute = Math.floor(now / MINUTE) * MINUTE;
  for (const at of [minute, minute + 1_000, now - 1]) await place(at);
  const before = await alpha!(now, '1h', cache);
  assert.deepEqual(before, await alpha!(now, '1h'));
  // A result of the same minute that started after `now` (a skewed clock): not in the window.
  await m.record(m.targets[0]!, { startedAt: now + 5_000, latencyMs: 99_999 });
  const after = await alpha!(now, '1h', cache);
  assert.deepEqual(after, await alpha!(now, '1h'));
  assert.equal(after.metrics.probes, before.metrics.probes);
  assert.ok(after.metrics.latency_ms!.max < 99_999);
});

test('a rebuild that rewrites rollups without changing their probe counts is seen by the cache', async () => {
  const now = Date.UTC(2026, 2, 3, 12, 30, 0);
  const m = await openMetricsDb([{ slug: 'alpha', models: ['m1'] }], now - 8 * DAY);
  try {
    for (let at = now - 3 * HOUR; at < now; at += 30_000) await m.record(m.targets[0]!, { startedAt: at, latencyMs: 200 });
    const db = m.db.kysely;
    const alpha = (await findProvider(db, 'alpha'))!;
    const cache = createWindowCache();
    assert.equal((await providerMetrics(db, alpha, '24h', now, cache)).metrics.counts.ok, 360);
    // Corrected data (or a version that classifies differently), then `cappulse rollups rebuild`.
    await db.updateTable('probe_results').set({ ok: 0, error_class: 'timeout', latency_ms: null, ttft_ms: null }).where('started_at', '<', now - 2 * HOUR).execute();
    await rebuildRollups(db);
    const cached = await providerMetrics(db, alpha, '24h', now + 1000, cache);
    assert.deepEqual(cached, await providerMetrics(db, alpha, '24h', now + 1000));
    assert.equal(cached.metrics.counts.ok, 240);
  } finally {
    await m.close();
  }
});
