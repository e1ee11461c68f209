import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database, ProbeResultsTable } from '../db/schema.ts';
import type { ErrorClass, ProbeResult, RateLimitSnapshot } from '../probe/types.ts';
import { compiledOnce, type StoreTx } from './compiled-once.ts';

export interface StoredResult extends ProbeResult {
  id: number;
  targetId: number;
}

/** Every column insertResult writes, in the order its compiled statement binds them. */
const INSERT_COLUMNS = ['target_id', 'started_at', 'ok', 'error_class', 'http_status', 'latency_ms', 'ttft_ms', 'ttfb_ms', 'output_tokens', 'request_id', 'rate_limit', 'error_message'] as const;

export type ResultInserter = (tx: StoreTx, targetId: number, result: ProbeResult) => StoredResult;

/** The pipeline's insert: one compiled statement per inserter, rebound for every result. */
export function createResultInserter(): ResultInserter {
  const insert = compiledOnce<{ id: number }>((db) =>
    db
      .insertInto('probe_results')
      .values(Object.fromEntries(INSERT_COLUMNS.map((column) => [column, null])) as unknown as Insertable<ProbeResultsTable>)
      .returning('id'),
  );
  return (tx, targetId, result) => {
    // In INSERT_COLUMNS' order, as one array: a record of the values and a map over the column
    // names to order them were two more objects per probe.
    const rows = insert(tx, [
      targetId,
      result.startedAt,
      result.ok ? 1 : 0,
      result.errorClass,
      result.httpStatus,
      result.latencyMs,
      result.ttftMs,
      result.ttfbMs,
      result.outputTokens,
      result.requestId,
      result.rateLimit ? JSON.stringify(result.rateLimit) : null,
      result.errorMessage,
    ] satisfies { [K in keyof typeof INSERT_COLUMNS]: unknown });
    // Field by field, not `{ ...result, id, targetId }`: on Node 20's V8 an object spread copy left
    // finished probes' results reachable through young-generation collections, to be promoted
    // (BENCHMARKS.md, prober, "What young-generation collections kept"). Every field of ProbeResult
    // is required, so TypeScript names one forgotten here.
    return {
      startedAt: result.startedAt,
      ok: result.ok,
      errorClass: result.errorClass,
      httpStatus: result.httpStatus,
      latencyMs: result.latencyMs,
      ttftMs: result.ttftMs,
      ttfbMs: result.ttfbMs,
      outputTokens: result.outputTokens,
      requestId: result.requestId,
      rateLimit: result.rateLimit,
      errorMessage: result.errorMessage,
      id: rows[0]!.id,
      targetId,
    };
  };
}

type ResultRow = Selectable<ProbeResultsTable>;

export function rowToResult(row: ResultRow): StoredResult {
  return {
    id: row.id,
    targetId: row.target_id,
    startedAt: Number(row.started_at),
    ok: row.ok === 1,
    errorClass: row.error_class as ErrorClass | null,
    httpStatus: row.http_status,
    latencyMs: row.latency_ms,
    ttftMs: row.ttft_ms,
    ttfbMs: row.ttfb_ms,
    outputTokens: row.output_tokens,
    requestId: row.request_id,
    rateLimit: row.rate_limit ? (JSON.parse(row.rate_limit) as RateLimitSnapshot) : null,
    errorMessage: row.error_message,
  };
}

/** Results of one target in [from, to), oldest first. */
export async function listResults(db: Kysely<Database>, targetId: number, from: number, to: number): Promise<StoredResult[]> {
  const rows = await db
    .selectFrom('probe_results')
    .selectAll()
    .where('target_id', '=', targetId)
    .where('started_at', '>=', from)
    .where('started_at', '<', to)
    .orderBy('started_at')
    .orderBy('id')
    .execute();
  return rows.map(rowToResult);
}

/** The newest results of one target, newest first. */
export async function latestResults(db: Kysely<Database>, targetId: number, limit: number): Promise<StoredResult[]> {
  const rows = await db
    .selectFrom('probe_results')
    .selectAll()
    .where('target_id', '=', targetId)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(rowToResult);
}

export async function countResults(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('probe_results').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
