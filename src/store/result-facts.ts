import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { ErrorClass, RateLimitSnapshot } from '../probe/types.ts';
import type { ResultFacts } from '../stats/aggregate.ts';

/** The probe_results columns metrics need; reading only these keeps raw scans light. */
export const FACT_COLUMNS = ['id', 'target_id', 'started_at', 'ok', 'error_class', 'latency_ms', 'ttft_ms', 'rate_limit'] as const;

export interface FactRow {
  started_at: number;
  ok: number;
  error_class: string | null;
  latency_ms: number | null;
  ttft_ms: number | null;
  rate_limit: string | null;
}

export function rowToFacts(row: FactRow): ResultFacts {
  return {
    startedAt: Number(row.started_at),
    ok: row.ok === 1,
    errorClass: row.error_class as ErrorClass | null,
    latencyMs: row.latency_ms,
    ttftMs: row.ttft_ms,
    rateLimit: row.rate_limit ? (JSON.parse(row.rate_limit) as RateLimitSnapshot) : null,
  };
}

/**
 * The rate-limit snapshots some targets reported at some instants (rollups keep only the
 * instant), in one indexed query. Of equal instants the newest row wins, as it does when rollups
 * fold results in id order. A pair retention has removed is missing from the map.
 */
export async function findRateLimitsAt(db: Kysely<Database>, pairs: ReadonlyArray<{ targetId: number; at: number }>): Promise<Map<string, RateLimitSnapshot>> {
  const out = new Map<string, RateLimitSnapshot>();
  if (pairs.length === 0) return out;
  const rows = await db
    .selectFrom('probe_results')
    .select(['target_id', 'started_at', 'rate_limit'])
    .where((eb) => eb.or(pairs.map(({ targetId, at }) => eb.and([eb('target_id', '=', targetId), eb('started_at', '=', at)]))))
    .where('rate_limit', 'is not', null)
    .orderBy('id')
    .execute();
  for (const row of rows) out.set(rateLimitKey(row.target_id, Number(row.started_at)), JSON.parse(row.rate_limit!) as RateLimitSnapshot);
  return out;
}

export const rateLimitKey = (targetId: number, at: number) => `${targetId}:${at}`;
