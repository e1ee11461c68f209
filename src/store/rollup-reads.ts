import { sql, type Compilable, type CompiledQuery, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { ceilTo, floorTo, HOUR, MINUTE, type Span } from '../stats/windows.ts';
import { readRollups, rowToAgg, type RollupTable } from './rollups.ts';
import type { MinuteEntry, WindowCache } from './window-cache.ts';

/**
 * Cheap reads that tell whether rollup rows changed, for the in-memory window cache: counts
 * computed by SQLite, and narrow rows, instead of decoding every row and its digests.
 */

/**
 * Runs a query compiled once per shape, rebound with `parameters` in the order its SQL binds
 * them. kysely builds and compiles a query on every call; for the few reads every request makes
 * that cost about as much as SQLite running them, and left most of a request's garbage. The
 * window tests compare every cached read with an uncached one, so a binding out of order shows.
 */
async function rebound<R>(db: Kysely<Database>, cache: WindowCache, shape: string, build: () => Compilable<R>, parameters: readonly unknown[]): Promise<R[]> {
  let compiled = cache.statements.get(shape) as CompiledQuery<R> | undefined;
  if (compiled === undefined) {
    compiled = build().compile();
    cache.statements.set(shape, compiled);
  }
  return (await db.executeQuery<R>({ ...compiled, parameters })).rows;
}
/**
 * A checksum of what a rollup row holds besides its probe count. A rebuild can rewrite a row
 * without changing how many probes it counts (an outcome classified differently, a corrected
 * latency): a cache checked on counts alone would keep serving the old merge. Each outcome column
 * has its own weight, so a probe moving from one class to another changes the sum.
 */
const ROW_CONTENT = sql<number>`(ok + 3 * timeout + 5 * network + 7 * overloaded + 11 * server_error + 13 * bad_response + 17 * rate_limited + 19 * quota_exceeded + 23 * auth_error + 29 * client_error + latency_count + latency_sum + coalesce(latency_max, 0) + 2 * (ttft_count + ttft_sum + coalesce(ttft_max, 0)) + coalesce(rl_min_ratio, 0) + coalesce(rl_latest_at, 0) % 1000003)`;

/**
 * Which rollup rows a minute-aligned span is merged from, so the fingerprint counts exactly those:
 * the hour rows of its whole hours when the merge reads them (series buckets of an hour or more),
 * and minute rows for the rest. A 24h window merges its hours from minute rows (15-minute series),
 * and a minute retention shorter than the window prunes those without touching the hour rows.
 */
function fingerprintPieces(spans: readonly Span[], hourRows: boolean): Array<{ table: RollupTable; span: Span }> {
  const out: Array<{ table: RollupTable; span: Span }> = [];
  const minutes = (span: Span) => span[0] < span[1] && out.push({ table: 'rollups_minute', span });
  for (const [from, to] of spans) {
    const h0 = ceilTo(from, HOUR);
    const h1 = floorTo(to, HOUR);
    if (!hourRows || h0 >= h1) {
      minutes([from, to]);
      continue;
    }
    minutes([from, h0]);
    out.push({ table: 'rollups_hour', span: [h0, h1] });
    minutes([h1, to]);
  }
  return out;
}

/**
 * `probes:rows:content` of the rollups each group of minute-aligned spans is merged from, in one
 * statement. Results only ever add to rows, and a rebuild that rewrites a row differently changes
 * its content checksum, so a late result, a rebuild that changes anything, or a prune inside the
 * spans all change the fingerprint. `hourRows`: whether the merge reads hour rows for whole hours.
 */
export async function rollupsFingerprints(
  db: Kysely<Database>,
  cache: WindowCache,
  targetIds: readonly number[],
  groups: ReadonlyArray<readonly Span[]>,
  hourRows: boolean,
): Promise<string[]> {
  const pieces = groups.flatMap((spans, group) => fingerprintPieces(spans, hourRows).map((piece) => ({ ...piece, group })));
  const totals = groups.map(() => [0, 0, 0]);
  if (targetIds.length > 0 && pieces.length > 0) {
    const count = ({ table, span: [from, to] }: (typeof pieces)[number], k: number) =>
      db
        .selectFrom(table)
        .select((eb) => [eb.val(k).as('k'), eb.fn.sum<number | null>('probes').as('probes'), eb.fn.countAll<number>().as('rows'), eb.fn.sum<number | null>(ROW_CONTENT).as('content')])
        .where('target_id', 'in', [...targetIds])
        .where('bucket', '>=', from)
        .where('bucket', '<', to);
    const build = () => {
      let query = count(pieces[0]!, 0);
      for (let k = 1; k < pieces.length; k++) query = query.unionAll(count(pieces[k]!, k));
      return query;
    };
    const shape = `fingerprint:${targetIds.length}:${pieces.map((piece) => piece.table).join(',')}`;
    const parameters = pieces.flatMap(({ span: [from, to] }, k) => [k, ...targetIds, from, to]);
    for (const row of await rebound(db, cache, shape, build, parameters)) {
      const total = totals[pieces[Number(row.k)]!.group]!;
      total[0]! += Number(row.probes ?? 0);
      total[1]! += Number(row.rows);
      total[2]! += Number(row.content ?? 0);
    }
  }
  return totals.map(([probes, rows, content]) => `${probes}:${rows}:${content}`);
}

export interface MinutePiece {
  targetId: number;
  bucket: number;
  agg: MinuteEntry['agg'];
}

/**
 * Minute rollups of a span, decoded only where a row's probe count moved since it was last seen
 * (`seen`, keyed `${targetId}:${bucket}`): the open minutes at the end of every window are read
 * on every request, and decoding 25 columns and two digests per row cost more than the rest of
 * the request. Returned in key order, as readRollups returns them.
 */
export async function readMinutesSeen(db: Kysely<Database>, cache: WindowCache, targetIds: readonly number[], span: Span): Promise<MinutePiece[]> {
  if (targetIds.length === 0 || span[0] >= span[1]) return [];
  const seen = cache.minutes;
  const build = () =>
    db
      .selectFrom('rollups_minute')
      .select(['target_id', 'bucket', 'probes', ROW_CONTENT.as('content')])
      .where('target_id', 'in', [...targetIds])
      .where('bucket', '>=', span[0])
      .where('bucket', '<', span[1])
      .orderBy('target_id')
      .orderBy('bucket');
  const heads = await rebound(db, cache, `minutes:${targetIds.length}`, build, [...targetIds, span[0], span[1]]);
  const keys = heads.map((row) => `${row.target_id}:${Number(row.bucket)}`);
  const same = (entry: MinuteEntry | undefined, row: (typeof heads)[number]) => entry !== undefined && entry.probes === row.probes && entry.content === row.content;
  const moved = heads.filter((row, i) => !same(seen.get(keys[i]!), row));
  const contentOf = new Map(heads.map((row, i) => [keys[i]!, row.content]));
  const fresh = new Map<string, MinuteEntry>();
  if (moved.length > 0) {
    const first = Math.min(...moved.map((row) => Number(row.bucket)));
    const ids = [...new Set(moved.map((row) => row.target_id))];
    for (const row of await readRollups(db, 'rollups_minute', ids, [first, span[1]])) {
      const bucket = Number(row.bucket);
      const key = `${row.target_id}:${bucket}`;
      // The checksum read with the narrow rows: a row rewritten in between is decoded again next time.
      const entry = { bucket, probes: row.probes, content: contentOf.get(key) ?? Number.NaN, agg: rowToAgg(row) };
      fresh.set(key, entry);
      seen.set(key, entry);
    }
  }
  const out: MinutePiece[] = [];
  heads.forEach((row, i) => {
    const key = keys[i]!;
    // A moved row deleted before the second read (a rebuild's hour) is left out, as a later read would.
    const entry = fresh.get(key) ?? (same(seen.get(key), row) ? seen.get(key) : undefined);
    if (entry) out.push({ targetId: row.target_id, bucket: entry.bucket, agg: entry.agg });
  });
  return out;
}

/**
 * Forgets minutes before `from`: the open span only moves forward, and entries were added in
 * about time order. A clock set back (tests) could leave old entries behind a newer one: the
 * size bound catches that.
 */
export function forgetMinutesBefore(seen: Map<string, MinuteEntry>, from: number, maxEntries = 100_000): void {
  if (seen.size > maxEntries) seen.clear();
  for (const [key, entry] of seen) {
    if (entry.bucket >= from) break;
    seen.delete(key);
  }
}

/**
 * The results of one minute that started before `to`, as that minute's rollup rows, when the
 * rows hold exactly those results: no result of the minute started at or after `to` (a live
 * clock never sees one from the future, but an injected or skewed one may) and each row counts
 * as many results as the raw index does. A request then decodes only the rows that changed since
 * it last looked instead of every result of the minute with its rate-limit JSON, and gets the
 * same aggregates: a rollup row is the fold of its results in id order, which is how the raw
 * rows would be folded. Pieces come in the order of each target's first result, as folding the
 * raw rows orders them. Undefined when the rows cannot stand for the results: read the raw rows.
 */
export async function readMinuteEdge(db: Kysely<Database>, cache: WindowCache, targetIds: readonly number[], [from, to]: Span): Promise<MinutePiece[] | undefined> {
  if (targetIds.length === 0 || from !== floorTo(from, MINUTE) || to > from + MINUTE) return undefined;
  const build = () =>
    db
      .selectFrom('probe_results')
      .select((eb) => ['target_id', eb.fn.min('id').as('first'), eb.fn.max('started_at').as('last'), eb.fn.countAll<number>().as('results')])
      .where('target_id', 'in', [...targetIds])
      .where('started_at', '>=', from)
      .where('started_at', '<', from + MINUTE)
      .groupBy('target_id');
  const heads = await rebound(db, cache, `edge:${targetIds.length}`, build, [...targetIds, from, from + MINUTE]);
  if (heads.some((head) => Number(head.last) >= to)) return undefined;
  const rows = new Map((await readMinutesSeen(db, cache, targetIds, [from, from + MINUTE])).map((piece) => [piece.targetId, piece]));
  if (rows.size !== heads.length) return undefined;
  const out: MinutePiece[] = [];
  for (const head of heads.sort((a, b) => Number(a.first) - Number(b.first))) {
    const piece = rows.get(head.target_id);
    // A result committed between the two reads: the raw rows give one consistent answer.
    if (piece === undefined || piece.agg.probes !== Number(head.results)) return undefined;
    out.push(piece);
  }
  return out;
}
