import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { emptyAgg, mergeInto, statsDigest, type Agg } from '../stats/aggregate.ts';
import { headlineOf, type Headline } from '../stats/metrics-object.ts';
import { DAY, HOUR, ceilTo, floorTo } from '../stats/windows.ts';
import { listTargetInfos, type TargetInfo } from '../store/catalog-read.ts';
import { readRollups, rowToAgg } from '../store/rollups.ts';
import { SETTLED_MS, type Memo } from './memo.ts';
import { compareText } from '../lib/compare.ts';
import { readRollupsGeneration } from '../store/rollup-generation.ts';

export const PERIODS = ['day', 'week', 'month'] as const;
export type Period = (typeof PERIODS)[number];

export interface PeriodRange {
  period: Period;
  from: number;
  to: number;
}

/** The UTC calendar day, ISO week (from Monday) or month containing `at`. */
export function periodContaining(period: Period, at: number): PeriodRange {
  const d = new Date(at);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (period === 'day') return { period, from: day, to: day + DAY };
  if (period === 'week') {
    const from = day - ((d.getUTCDay() + 6) % 7) * DAY;
    return { period, from, to: from + 7 * DAY };
  }
  return { period, from: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), to: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}

export interface ReportRow {
  slug: string;
  name: string;
  /** How many targets (models of a provider, providers of a model) had probes. */
  targets: number;
  metrics: Headline;
}

export interface Report {
  range: PeriodRange;
  providers: ReportRow[];
  models: ReportRow[];
}

function group(targets: readonly TargetInfo[], aggs: Map<number, Agg>, key: (t: TargetInfo) => { slug: string; name: string }): ReportRow[] {
  const groups = new Map<string, { name: string; agg: Agg; targets: number }>();
  for (const target of targets) {
    const agg = aggs.get(target.id);
    if (!agg || agg.probes === 0) continue;
    const { slug, name } = key(target);
    let entry = groups.get(slug);
    if (!entry) groups.set(slug, (entry = { name, agg: emptyAgg(), targets: 0 }));
    mergeInto(entry.agg, agg);
    entry.targets += 1;
  }
  return [...groups].sort(([a], [b]) => compareText(a, b)).map(([slug, g]) => ({ slug, name: g.name, targets: g.targets, metrics: headlineOf(g.agg) }));
}

/**
 * Availability and percentiles per provider and per model over a calendar period, from hour
 * rollups (kept 400 days by default; the period edges are whole hours). The current hour's
 * rollup is updated with each result, so a period in progress is counted up to now.
 */
export async function periodReport(db: Kysely<Database>, range: PeriodRange, now: number, memo: Memo): Promise<Report> {
  memo.syncGeneration(await readRollupsGeneration(db));
  const targets = await listTargetInfos(db);
  const ids = targets.map((t) => t.id);
  const readAggs = async (from: number, to: number) => {
    const aggs = new Map<number, Agg>();
    for (const row of await readRollups(db, 'rollups_hour', ids, [from, to])) {
      let agg = aggs.get(row.target_id);
      if (!agg) aggs.set(row.target_id, (agg = emptyAgg()));
      mergeInto(agg, rowToAgg(row));
    }
    return aggs;
  };
  // Settled hours are read once and remembered (a month is 720 hour rollups per target); only
  // the last hour or two are read on every view.
  const settled = Math.max(range.from, Math.min(range.to, floorTo(now - SETTLED_MS, HOUR)));
  const key = `report:${range.from}:${settled}:${ids.join(',')}`;
  let closed = memo.get<Map<number, Agg>>(key);
  if (!closed) {
    closed = await readAggs(range.from, settled);
    // Merge each target's hour digests now, once, so later views merge one digest per target.
    for (const agg of closed.values()) {
      statsDigest(agg.latency);
      statsDigest(agg.ttft);
    }
    memo.set(key, closed);
  }
  const open = await readAggs(settled, Math.min(range.to, ceilTo(now + 1, HOUR)));
  // Remembered aggregates are only ever merged from, never into.
  const aggs = new Map<number, Agg>();
  for (const part of [closed, open]) {
    for (const [id, agg] of part) {
      let into = aggs.get(id);
      if (!into) aggs.set(id, (into = emptyAgg()));
      mergeInto(into, agg);
    }
  }
  return {
    range,
    providers: group(targets, aggs, (t) => ({ slug: t.providerSlug, name: t.providerName })),
    models: group(targets, aggs, (t) => ({ slug: t.modelSlug, name: t.modelName })),
  };
}
