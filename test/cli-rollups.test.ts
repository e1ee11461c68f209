import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseSince } from '../src/commands/rollups.ts';
import { DAY, HOUR } from '../src/stats/windows.ts';
import { cli } from './helpers/cli.ts';
import { openMetricsDb, type MetricsDb } from './helpers/metrics-db.ts';

/** `cappulse rollups rebuild` against a real database file, through the real CLI. */
const NOW = Date.now();
let m: MetricsDb;

const rows = () => m.db.kysely.selectFrom('rollups_hour').selectAll().orderBy('target_id').orderBy('bucket').execute();

before(async () => {
  m = await openMetricsDb([{ slug: 'alpha', models: ['m1', 'm2'] }]);
  for (let i = 0; i < 120; i++) await m.record(m.targets[i % 2]!, i % 7 === 0 ? { startedAt: NOW - i * 20 * 60_000, ok: false, errorClass: 'timeout' } : { startedAt: NOW - i * 20 * 60_000, latencyMs: 100 + i });
});
after(() => m.close());

test('rebuild recomputes every rollup from raw results, identical to the live ones', async () => {
  const live = await rows();
  await m.db.kysely.deleteFrom('rollups_hour').execute();
  await m.db.kysely.deleteFrom('rollups_minute').execute();
  const run = await cli('rollups', 'rebuild', '--db', m.db.path);
  assert.equal(run.code, 0, run.err);
  assert.match(run.out, /rebuilt \d+ hours from .*: 120 results → 120 minute and \d+ hour rollups/);
  assert.deepEqual(await rows(), live);
});

test('--since limits the rebuild to recent hours; --json reports it', async () => {
  const run = await cli('rollups', 'rebuild', '--db', m.db.path, '--since', '3h', '--json');
  assert.equal(run.code, 0, run.err);
  const report = JSON.parse(run.out);
  assert.ok(report.hours >= 3 && report.hours <= 5, `hours ${report.hours}`);
  assert.ok(Date.parse(report.from) >= Math.floor((NOW - 3 * HOUR) / HOUR) * HOUR - HOUR);
});

test('bad usage exits 2 with the reason', async () => {
  for (const [args, reason] of [
    [['rollups'], /missing subcommand/],
    [['rollups', 'shrink'], /unknown subcommand "rollups shrink"/],
    [['rollups', 'rebuild', '--since', 'yesterday'], /--since: "yesterday" is neither/],
  ] as const) {
    const run = await cli(...args, '--db', m.db.path);
    assert.equal(run.code, 2, args.join(' '));
    assert.match(run.err, reason);
  }
  assert.equal(parseSince('7d', NOW), NOW - 7 * DAY);
  assert.equal(parseSince('2026-11-20T00:00Z', NOW), Date.UTC(2026, 10, 20));
});
