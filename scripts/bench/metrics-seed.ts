import type BetterSqlite3 from 'better-sqlite3';
import type { RateLimitSnapshot } from '../../src/probe/types.ts';
import { addResult, emptyAgg, type Agg, type ResultFacts } from '../../src/stats/aggregate.ts';
import { floorTo, HOUR, MINUTE } from '../../src/stats/windows.ts';
import type { CatalogTarget } from '../../src/store/catalog.ts';
import { aggToRow, ROLLUP_COLUMNS } from '../../src/store/rollups.ts';
import { seededRandom } from '../../test/helpers/metrics-db.ts';

/**
 * Helpers of scripts/bench/metrics.ts: raw seeding with better-sqlite3 (the fast way to put
 * millions of results in a file), the naive exact baseline, and per-table sizes.
 */
export interface SeedPlan {
  targets: readonly CatalogTarget[];
  /** Probe interval per target id. */
  everyMs: (target: CatalogTarget) => number;
  from: number;
  to: number;
}

const FAILURES = [
  ['timeout', null, 'first token deadline 30s passed'],
  ['server_error', 500, 'HTTP 500: internal error'],
  ['overloaded', 529, 'overloaded_error'],
  ['rate_limited', 429, 'rate limit reached for requests'],
] as const;

/**
 * Folds results into minute and hour rollups as they are generated, writing each bucket once
 * it is complete: the same rows a rebuild would write (results arrive per target in id order),
 * without reading 2 million rows back.
 */
function rollupBuilder(sqlite: BetterSqlite3.Database) {
  const insert = (table: string) => sqlite.prepare(`insert into ${table} (${ROLLUP_COLUMNS.join(', ')}) values (${ROLLUP_COLUMNS.map(() => '?').join(', ')})`);
  const levels = [
    { size: MINUTE, insert: insert('rollups_minute') },
    { size: HOUR, insert: insert('rollups_hour') },
  ];
  const open = new Map<number, Array<{ bucket: number; agg: Agg }>>();
  const flush = (targetId: number, level: number) => {
    const current = open.get(targetId)?.[level];
    if (!current) return;
    const row = aggToRow(targetId, current.bucket, current.agg);
    levels[level]!.insert.run(...ROLLUP_COLUMNS.map((column) => row[column]));
  };
  return {
    add(targetId: number, facts: ResultFacts) {
      const state = open.get(targetId) ?? [];
      open.set(targetId, state);
      levels.forEach(({ size }, level) => {
        const bucket = floorTo(facts.startedAt, size);
        if (state[level]?.bucket !== bucket) {
          flush(targetId, level);
          state[level] = { bucket, agg: emptyAgg() };
        }
        addResult(state[level]!.agg, facts);
      });
    },
    finish() {
      for (const targetId of open.keys()) levels.forEach((_, level) => flush(targetId, level));
    },
  };
}

/**
 * Inserts results tick by tick (time order, as a live prober would) in transactions of 5,000
 * rows through one prepared statement, and their rollups alongside. Realistic row sizes: a
 * request id on every result, a rate-limit snapshot on every success, an error message on
 * every failure.
 */
export function seedRaw(sqlite: BetterSqlite3.Database, plan: SeedPlan): number {
  const rollups = rollupBuilder(sqlite);
  const random = seededRandom(42);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const insert = sqlite.prepare(
    `insert into probe_results (target_id, started_at, ok, error_class, http_status, latency_ms, ttft_ms, ttfb_ms, output_tokens, request_id, rate_limit, error_message)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const tick = Math.min(...plan.targets.map(plan.everyMs));
  let rows = 0;
  let pending = 0;
  sqlite.exec('begin');
  for (let t = plan.from; t < plan.to; t += tick) {
    for (const target of plan.targets) {
      if ((t - plan.from) % plan.everyMs(target) !== 0) continue;
      const startedAt = t + Math.floor(random() * 2000);
      const id = `req_${Math.floor(random() * 2 ** 48).toString(16).padStart(12, '0')}${Math.floor(random() * 2 ** 48).toString(16).padStart(12, '0')}`;
      if (random() < 0.03) {
        const [errorClass, status, message] = FAILURES[Math.floor(random() * FAILURES.length)]!;
        insert.run(target.id, startedAt, 0, errorClass, status, errorClass === 'timeout' ? 30_000 : 80 + random() * 200, null, null, null, id, null, message);
        rollups.add(target.id, { startedAt, ok: false, errorClass, latencyMs: null, ttftMs: null, rateLimit: null });
      } else {
        // Bimodal: most answers near 600 ms, one in ten a slow one near 6 s.
        const latency = random() < 0.9 ? Math.exp(6.4 + 0.35 * gaussian()) : Math.exp(8.7 + 0.4 * gaussian());
        const ttft = latency * (0.3 + random() * 0.3);
        const remaining = Math.floor(random() * 500);
        const rateLimit: RateLimitSnapshot = {
          requests_limit: 500,
          requests_remaining: remaining,
          requests_reset_at: startedAt + 60_000,
          tokens_limit: 30000,
          tokens_remaining: remaining * 60,
          tokens_reset_at: startedAt + 60_000,
          retry_after_ms: null,
        };
        insert.run(target.id, startedAt, 1, null, 200, latency, ttft, ttft * 0.8, 1, id, JSON.stringify(rateLimit), null);
        rollups.add(target.id, { startedAt, ok: true, errorClass: null, latencyMs: latency, ttftMs: ttft, rateLimit });
      }
      rows += 1;
      if (++pending === 5000) {
        sqlite.exec('commit');
        sqlite.exec('begin');
        pending = 0;
      }
    }
  }
  rollups.finish();
  sqlite.exec('commit');
  return rows;
}

/** The naive exact answer: fetch the window's raw latencies unsorted, sort them, read the percentiles. */
export function naivePercentiles(sqlite: BetterSqlite3.Database, targetIds: readonly number[], from: number, to: number): { samples: number; p50: number; p95: number; p99: number } {
  const values = sqlite
    .prepare(`select latency_ms from probe_results where target_id in (${targetIds.map(() => '?').join(',')}) and started_at >= ? and started_at < ? and ok = 1 and latency_ms is not null`)
    .pluck()
    .all(...targetIds, from, to) as number[];
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
  return { samples: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

/** Bytes per table, its indexes included (SQLite's dbstat virtual table). */
export function tableBytes(sqlite: BetterSqlite3.Database): Map<string, number> {
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  const indexes = new Map((sqlite.prepare(`select name, tbl_name from sqlite_master where type = 'index'`).all() as Array<{ name: string; tbl_name: string }>).map((r) => [r.name, r.tbl_name]));
  const out = new Map<string, number>();
  for (const row of sqlite.prepare('select name, sum(pgsize) as bytes from dbstat group by name').all() as Array<{ name: string; bytes: number }>) {
    const table = indexes.get(row.name) ?? row.name;
    out.set(table, (out.get(table) ?? 0) + row.bytes);
  }
  return out;
}

export function percentile(sortedMs: readonly number[], p: number): number {
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor(p * sortedMs.length))] ?? Number.NaN;
}
