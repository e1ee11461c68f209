import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { emptyAgg, mergeInto, type Agg } from '../stats/aggregate.ts';
import { headlineOf, type Headline } from '../stats/metrics-object.ts';
import { DAY, HOUR, ceilTo } from '../stats/windows.ts';
import { listTargetInfos, type TargetInfo } from '../store/catalog-read.ts';
import { readRollups, rowToAgg } from '../store/rollups.ts';

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
  return [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([slug, g]) => ({ slug, name: g.name, targets: g.targets, metrics: headlineOf(g.agg) }));
}

/**
 * Availability and percentiles per provider and per model over a calendar period, from hour
 * rollups (kept 400 days by default; the period edges are whole hours). The current hour's
 * rollup is updated with each result, so a period in progress is counted up to now.
 */
export async function periodReport(db: Kysely<Database>, range: PeriodRange, now: number): Promise<Report> {
  const targets = await listTargetInfos(db);
  const to = Math.min(range.to, ceilTo(now + 1, HOUR));
  const aggs = new Map<number, Agg>();
  for (const row of await readRollups(db, 'rollups_hour', targets.map((t) => t.id), [range.from, to])) {
    let agg = aggs.get(row.target_id);
    if (!agg) aggs.set(row.target_id, (agg = emptyAgg()));
    mergeInto(agg, rowToAgg(row));
  }
  return {
    range,
    providers: group(targets, aggs, (t) => ({ slug: t.providerSlug, name: t.providerName })),
    models: group(targets, aggs, (t) => ({ slug: t.modelSlug, name: t.modelName })),
  };
}
