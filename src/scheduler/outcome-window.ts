import type { Outcome } from '../status/evidence.ts';
import { longestWindowMs, type ResolvedThresholds } from '../status/thresholds.ts';
import type { StoreTx } from '../store/compiled-once.ts';
import type { StoredResult } from '../store/results.ts';
import { listOutcomes, type OutcomeRow, type StatusStatements } from '../store/status.ts';

/** Every result of one target with started_at ≥ from, newest first (started_at, then id). */
interface Copy {
  from: number;
  rows: OutcomeRow[];
  /** The clock of the last evaluation that used this copy. */
  usedAt: number;
}

/** Copies unused this long are dropped (see createOutcomeWindows). */
export const UNUSED_COPY_MS = 60 * 60_000;

const newerFirst = (a: OutcomeRow, b: OutcomeRow) => b.startedAt - a.startedAt || b.id - a.id;

function sameAs(copy: Copy, tally: { count: number; maxId: number | null; sumId: number | null }): boolean {
  let maxId: number | null = null;
  let sumId = 0;
  for (const row of copy.rows) {
    if (maxId === null || row.id > maxId) maxId = row.id;
    sumId += row.id;
  }
  return tally.count === copy.rows.length && tally.maxId === maxId && (tally.sumId ?? 0) === sumId;
}

/**
 * The outcomes the status rules read after every probe: everything inside the longest rule
 * window, plus the newest few however old (for the runs) — the same rows, in the same order, as
 * reading them from probe_results each time, which the status stage used to do.
 *
 * Re-reading the window cost a row lookup per result in it, so the cost grew with the probe rate
 * (~60 rows per target at one probe per 30 s, 360 at one per 5 s). Instead each target keeps a
 * copy of its rows from the window start on: the result just stored is added, rows that left
 * the window are dropped, and the copy is checked against the table on every evaluation by a
 * count, max and sum of the row ids, answered from the (target_id, started_at) index without
 * touching the rows. Any other writer (a second pipeline, retention, a hand edit) makes the
 * check fail, and the copy is read again. A row added inside a transaction that then rolls back
 * cannot be caught that way (SQLite hands its id out again), so the pipeline reports a rollback
 * and the target's copy is dropped (`forget`).
 */
export function createOutcomeWindows(statements: StatusStatements) {
  const copies = new Map<number, Copy>();
  // Copies of targets no longer evaluated (removed by a reload, or probed less than hourly) are
  // dropped once unused for UNUSED_COPY_MS, checked at most that often: the map holds the targets
  // in use, not every target the process ever evaluated. A dropped copy is read again when needed.
  let sweptAt = -Infinity;
  const sweep = (now: number) => {
    sweptAt = now;
    for (const [targetId, copy] of copies) if (copy.usedAt <= now - UNUSED_COPY_MS) copies.delete(targetId);
  };

  const reload = async (tx: StoreTx, targetId: number, from: number, now: number): Promise<Copy> => {
    const copy = { from, rows: await listOutcomes(tx.kysely, targetId, { from, to: Number.MAX_SAFE_INTEGER }), usedAt: now };
    copies.set(targetId, copy);
    return copy;
  };

  return {
    async recent(tx: StoreTx, targetId: number, stored: StoredResult | undefined, t: ResolvedThresholds, now: number): Promise<Outcome[]> {
      // A clock set back must not postpone the next sweep until it catches up.
      if (now - sweptAt >= UNUSED_COPY_MS || now < sweptAt) sweep(now);
      const from = now - longestWindowMs(t);
      let copy = copies.get(targetId);
      // A copy starting after the window (the clock went back, or a reload widened a window) lacks rows.
      if (copy !== undefined && copy.from <= from) {
        // A copy that already holds this id holds a row of a rolled-back transaction: read again.
        if (stored !== undefined && stored.targetId === targetId && stored.startedAt >= copy.from && copy.rows.some((row) => row.id === stored.id)) copy = undefined;
        else if (stored !== undefined && stored.targetId === targetId && stored.startedAt >= copy.from) {
          const row: OutcomeRow = { id: stored.id, startedAt: stored.startedAt, ok: stored.ok, errorClass: stored.errorClass, latencyMs: stored.latencyMs };
          const at = copy.rows.findIndex((other) => newerFirst(row, other) < 0);
          copy.rows.splice(at === -1 ? copy.rows.length : at, 0, row);
        }
      } else copy = undefined;
      if (copy !== undefined) {
        while (copy.rows.length > 0 && copy.rows.at(-1)!.startedAt < from) copy.rows.pop();
        copy.from = from;
        copy.usedAt = now;
        if (!sameAs(copy, statements.tallyOutcomes(tx, targetId, from))) copy = undefined;
      }
      copy ??= await reload(tx, targetId, from, now);

      const windowed = copy.rows.filter((row) => row.startedAt < now + 1);
      const need = Math.max(t.majorConsecutiveFailures, t.recoverySuccesses);
      const rows = windowed.length >= need ? windowed : await listOutcomes(tx.kysely, targetId, { limit: Math.max(need, windowed.length) });
      return rows as Outcome[];
    },
    /** The transaction that last evaluated this target rolled back: its copy may hold a row that never was. */
    forget(targetId: number): void {
      copies.delete(targetId);
    },
    /** How many targets have a copy kept (for tests: the map must not outgrow the targets in use). */
    keptTargets: (): number => copies.size,
  };
}
