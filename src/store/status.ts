import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database, TargetStatusTable } from '../db/schema.ts';
import { compiledOnce, type StoreTx } from './compiled-once.ts';
import type { StatusName } from './status-read.ts';

/**
 * Current status rows written by the status stage, inside the result's transaction. Causes are
 * stored as JSON and handed back parsed; their shape belongs to src/status.
 */
export interface TargetStatusRecord {
  status: StatusName;
  since: number;
  cause: unknown;
  clearEvaluations: number;
  maintenance: boolean;
  baselineP95Ms: number | null;
  baselineAt: number | null;
}

type TargetStatusRow = Selectable<TargetStatusTable>;

function toTargetStatusRecord(row: TargetStatusRow): TargetStatusRecord {
  return {
    status: row.status as StatusName,
    since: Number(row.since),
    cause: row.cause === null ? null : JSON.parse(row.cause),
    clearEvaluations: row.clear_evaluations,
    maintenance: row.maintenance === 1,
    baselineP95Ms: row.baseline_p95_ms,
    baselineAt: row.baseline_at === null ? null : Number(row.baseline_at),
  };
}

/** Every column a save writes besides target_id, in the order the compiled upsert binds them. */
const TARGET_STATUS_COLUMNS = ['status', 'since', 'cause', 'clear_evaluations', 'maintenance', 'evaluated_at', 'baseline_p95_ms', 'baseline_at'] as const;
type TargetStatusValues = Record<(typeof TARGET_STATUS_COLUMNS)[number], string | number | null>;

function targetStatusValues(record: TargetStatusRecord, evaluatedAt: number) {
  return {
    status: record.status,
    since: record.since,
    cause: record.cause === null ? null : JSON.stringify(record.cause),
    clear_evaluations: record.clearEvaluations,
    maintenance: record.maintenance ? 1 : 0,
    evaluated_at: evaluatedAt,
    baseline_p95_ms: record.baselineP95Ms,
    baseline_at: record.baselineAt,
  } satisfies TargetStatusValues;
}

export async function findTargetStatus(trx: Kysely<Database>, targetId: number): Promise<TargetStatusRecord | undefined> {
  const row = await trx.selectFrom('target_status').selectAll().where('target_id', '=', targetId).executeTakeFirst();
  return row ? toTargetStatusRecord(row) : undefined;
}

export async function saveTargetStatus(trx: Kysely<Database>, targetId: number, record: TargetStatusRecord, evaluatedAt: number): Promise<void> {
  const values = targetStatusValues(record, evaluatedAt);
  await trx
    .insertInto('target_status')
    .values({ target_id: targetId, ...values })
    .onConflict((oc) => oc.column('target_id').doUpdateSet(values))
    .execute();
}

/** What the rows of one target from a start time on add up to: enough to tell a copy of them is whole. */
export interface OutcomeTally {
  count: number;
  maxId: number | null;
  sumId: number | null;
}

/**
 * The status stage's per-probe statements (findTargetStatus, saveTargetStatus and an outcome
 * tally), compiled once and rebound (see compiledOnce); same SQL effect as the functions above.
 */
export function createStatusStatements() {
  const select = compiledOnce<TargetStatusRow>((db) => db.selectFrom('target_status').selectAll().where('target_id', '=', 0));
  const placeholders = Object.fromEntries(TARGET_STATUS_COLUMNS.map((column) => [column, null])) as unknown as TargetStatusValues;
  const upsert = compiledOnce((db) =>
    db
      .insertInto('target_status')
      .values({ target_id: 0, ...placeholders } as Insertable<TargetStatusTable>)
      .onConflict((oc) => oc.column('target_id').doUpdateSet((eb) => Object.fromEntries(TARGET_STATUS_COLUMNS.map((column) => [column, eb.ref(`excluded.${column}`)])))),
  );
  // Answered from the (target_id, started_at) index alone: it holds the row id too.
  const tally = compiledOnce<{ n: number; max_id: number | null; sum_id: number | null }>((db) =>
    db
      .selectFrom('probe_results')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('id').as('max_id'), eb.fn.sum<number>('id').as('sum_id')])
      .where('target_id', '=', 0)
      .where('started_at', '>=', 0),
  );
  return {
    findTarget(tx: StoreTx, targetId: number): TargetStatusRecord | undefined {
      const rows = select(tx, [targetId]);
      return rows[0] ? toTargetStatusRecord(rows[0]) : undefined;
    },
    saveTarget(tx: StoreTx, targetId: number, record: TargetStatusRecord, evaluatedAt: number): void {
      const values = targetStatusValues(record, evaluatedAt);
      upsert(tx, [targetId, ...TARGET_STATUS_COLUMNS.map((column) => values[column])]);
    },
    /** Rows of a target with started_at ≥ from. */
    tallyOutcomes(tx: StoreTx, targetId: number, from: number): OutcomeTally {
      const rows = tally(tx, [targetId, from]);
      const row = rows[0]!;
      return { count: Number(row.n), maxId: row.max_id === null ? null : Number(row.max_id), sumId: row.sum_id === null ? null : Number(row.sum_id) };
    },
  };
}

export type StatusStatements = ReturnType<typeof createStatusStatements>;

export interface ProviderTargetStatus {
  targetId: number;
  model: string;
  status: StatusName;
  cause: unknown;
  maintenance: boolean;
}

/** Every active target of a provider with its current status (`unknown` until first evaluated). */
export async function listProviderTargetStatuses(trx: Kysely<Database>, providerId: number): Promise<ProviderTargetStatus[]> {
  const rows = await trx
    .selectFrom('targets')
    .innerJoin('models', 'models.id', 'targets.model_id')
    .leftJoin('target_status', 'target_status.target_id', 'targets.id')
    .select(['targets.id', 'models.slug', 'target_status.status', 'target_status.cause', 'target_status.maintenance'])
    .where('targets.provider_id', '=', providerId)
    .where('targets.active', '=', 1)
    .orderBy('models.slug')
    .execute();
  return rows.map((row) => ({
    targetId: row.id,
    model: row.slug,
    status: (row.status ?? 'unknown') as StatusName,
    cause: row.cause ? JSON.parse(row.cause) : null,
    maintenance: row.maintenance === 1,
  }));
}

export interface ProviderStatusRecord {
  status: StatusName;
  since: number;
  maintenance: boolean;
}

export async function findProviderStatus(trx: Kysely<Database>, providerId: number): Promise<ProviderStatusRecord | undefined> {
  const row = await trx.selectFrom('provider_status').selectAll().where('provider_id', '=', providerId).executeTakeFirst();
  return row ? { status: row.status as StatusName, since: Number(row.since), maintenance: row.maintenance === 1 } : undefined;
}

export async function saveProviderStatus(trx: Kysely<Database>, providerId: number, record: ProviderStatusRecord, evaluatedAt: number): Promise<void> {
  const values = { status: record.status, since: record.since, maintenance: record.maintenance ? 1 : 0, evaluated_at: evaluatedAt };
  await trx
    .insertInto('provider_status')
    .values({ provider_id: providerId, ...values })
    .onConflict((oc) => oc.column('provider_id').doUpdateSet(values))
    .execute();
}

export interface OutcomeRow {
  id: number;
  startedAt: number;
  ok: boolean;
  errorClass: string | null;
  latencyMs: number | null;
}

/**
 * The columns the status rules read, newest first: results in [from, to), or with `limit` the
 * newest `limit` results however old. Lean on purpose: it runs after every probe.
 */
export async function listOutcomes(trx: Kysely<Database>, targetId: number, range: { from: number; to: number } | { limit: number }): Promise<OutcomeRow[]> {
  let query = trx.selectFrom('probe_results').select(['id', 'started_at', 'ok', 'error_class', 'latency_ms']).where('target_id', '=', targetId);
  if ('limit' in range) query = query.limit(range.limit);
  else query = query.where('started_at', '>=', range.from).where('started_at', '<', range.to);
  const rows = await query.orderBy('started_at', 'desc').orderBy('id', 'desc').execute();
  return rows.map((row) => ({ id: row.id, startedAt: Number(row.started_at), ok: row.ok === 1, errorClass: row.error_class, latencyMs: row.latency_ms }));
}
