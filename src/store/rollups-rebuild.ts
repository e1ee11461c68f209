import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { addResult, emptyAgg, type Agg } from '../stats/aggregate.ts';
import { floorTo, HOUR } from '../stats/windows.ts';
import { FACT_COLUMNS, rowToFacts } from './result-facts.ts';
import { bumpRollupsGeneration } from './rollup-generation.ts';
import { aggToRow, createRollupWriter, ROLLUP_LEVELS } from './rollups.ts';

export interface RebuildReport {
  /** First hour rebuilt (epoch ms), or null when there were no raw results to rebuild from. */
  from: number | null;
  hours: number;
  results: number;
  rows: { minute: number; hour: number };
}

/**
 * Recomputes rollups from raw results, one hour per transaction. Each transaction deletes the
 * hour's rollups first: that write takes the lock before the raw rows are read, so a result
 * committed meanwhile by a running server is either in the read or applied after, never lost.
 * Results are replayed in id order (commit order), the order the pipeline stage saw them, so
 * the rows come out byte-identical to the ones built live.
 *
 * Hours before the oldest raw result are left alone: raw retention has pruned what they were
 * built from (pruning cuts on hour boundaries, so the oldest remaining hour is whole).
 */
export async function rebuildRollups(db: Kysely<Database>, options: { since?: number; onHour?: (hour: number) => void } = {}): Promise<RebuildReport> {
  const bounds = await db
    .selectFrom('probe_results')
    .select((eb) => [eb.fn.min('started_at').as('oldest'), eb.fn.max('started_at').as('newest')])
    .executeTakeFirstOrThrow();
  if (bounds.oldest === null || bounds.newest === null) return { from: null, hours: 0, results: 0, rows: { minute: 0, hour: 0 } };
  const first = Math.max(floorTo(options.since ?? 0, HOUR), floorTo(Number(bounds.oldest), HOUR));
  const last = floorTo(Number(bounds.newest), HOUR);
  const report: RebuildReport = { from: first, hours: 0, results: 0, rows: { minute: 0, hour: 0 } };
  const targetIds = (await db.selectFrom('targets').select('id').execute()).map((row) => row.id);
  const writer = createRollupWriter();

  for (let hour = first; hour <= last; hour += HOUR) {
    await db.transaction().execute(async (trx) => {
      await bumpRollupsGeneration(trx);
      for (const { table } of ROLLUP_LEVELS) {
        await trx.deleteFrom(table).where('target_id', 'in', targetIds).where('bucket', '>=', hour).where('bucket', '<', hour + HOUR).execute();
      }
      const rows = await trx
        .selectFrom('probe_results')
        .select(FACT_COLUMNS)
        .where('started_at', '>=', hour)
        .where('started_at', '<', hour + HOUR)
        .orderBy('id')
        .execute();
      const buckets = ROLLUP_LEVELS.map(() => new Map<string, { targetId: number; bucket: number; agg: Agg }>());
      for (const row of rows) {
        const facts = rowToFacts(row);
        ROLLUP_LEVELS.forEach(({ size }, level) => {
          const bucket = floorTo(facts.startedAt, size);
          const key = `${row.target_id}:${bucket}`;
          let entry = buckets[level]!.get(key);
          if (!entry) buckets[level]!.set(key, (entry = { targetId: row.target_id, bucket, agg: emptyAgg() }));
          addResult(entry.agg, facts);
        });
      }
      for (const [level, { table }] of ROLLUP_LEVELS.entries()) {
        const out = [...buckets[level]!.values()].map(({ targetId, bucket, agg }) => aggToRow(targetId, bucket, agg));
        await writer.write(trx, table, out);
        report.rows[table === 'rollups_minute' ? 'minute' : 'hour'] += out.length;
      }
      report.results += rows.length;
    });
    report.hours += 1;
    options.onHour?.(hour);
  }
  return report;
}
