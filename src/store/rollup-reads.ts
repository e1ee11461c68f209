import type { Compilable, CompiledQuery, Kysely } from 'kysely';
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
/** Which rollup rows stand for a minute-aligned span: the hour rows of its whole hours, the minute rows of the rest. */
function fingerprintPieces(spans: readonly Span[]): Array<{ table: RollupTable; span: Span }> {
  const out: Array<{ table: RollupTable; span: Span }> = [];
  const minutes = (span: Span) => span[0] < span[1] && out.push({ table: 'rollups_minute', span });
  for (const [from, to] of spans) {
    const h0 = ceilTo(from, HOUR);
    const h1 = floorTo(to, HOUR);
    if (h0 >= h1) {
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
 * `probes:rows` of the rollups under each group of minute-aligned spans, in one statement.
 * Whole hours are counted from the hour rows: every result is folded into its minute row and
 * its hour row in the same transaction (and a rebuild rewrites both), so the hour rows stand for
 * a whole hour's minutes at a sixtieth of the reading (the config keeps minute rollups at least
 * 25 h, so a prune never removes the minute rows a 24h window merges under hour rows that stay).
 * Results only ever add to rows, so a late result or a prune inside the spans changes it; a
 * rebuild, which may rewrite rows with the same counts, moves the rollups generation instead.
 */
export async function rollupsFingerprints(db: Kysely<Database>, cache: WindowCache, targetIds: readonly number[], groups: ReadonlyArray<readonly Span[]>): Promise<string[]> {
  const pieces = groups.flatMap((spans, group) => fingerprintPieces(spans).map((piece) => ({ ...piece, group })));
  const totals = groups.map(() => [0, 0]);
  if (targetIds.length > 0 && pieces.length > 0) {
    const count = ({ table, span: [from, to] }: (typeof pieces)[number], k: number) =>
      db
        .selectFrom(table)
        .select((eb) => [eb.val(k).as('k'), eb.fn.sum<number | null>('probes').as('probes'), eb.fn.countAll<number>().as('rows')])
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
    }
  }
  return totals.map(([probes, rows]) => `${probes}:${rows}`);
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
      .select(['target_id', 'bucket', 'probes'])
      .where('target_id', 'in', [...targetIds])
      .where('bucket', '>=', span[0])
      .where('bucket', '<', span[1])
      .orderBy('target_id')
      .orderBy('bucket');
  const heads = await rebound(db, cache, `minutes:${targetIds.length}`, build, [...targetIds, span[0], span[1]]);
  const keys = heads.map((row) => `${row.target_id}:${Number(row.bucket)}`);
  const moved = heads.filter((row, i) => seen.get(keys[i]!)?.probes !== row.probes);
  const fresh = new Map<string, MinuteEntry>();
  if (moved.length > 0) {
    const first = Math.min(...moved.map((row) => Number(row.bucket)));
    const ids = [...new Set(moved.map((row) => row.target_id))];
    for (const row of await readRollups(db, 'rollups_minute', ids, [first, span[1]])) {
      const bucket = Number(row.bucket);
      const key = `${row.target_id}:${bucket}`;
      const entry = { bucket, probes: row.probes, agg: rowToAgg(row) };
      fresh.set(key, entry);
      seen.set(key, entry);
    }
  }
  const out: MinutePiece[] = [];
  heads.forEach((row, i) => {
    const key = keys[i]!;
    // A moved row deleted before the second read (a rebuild's hour) is left out, as a later read would.
    const entry = fresh.get(key) ?? (seen.get(key)?.probes === row.probes ? seen.get(key) : undefined);
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
