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
