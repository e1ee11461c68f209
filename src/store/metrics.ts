import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { emptyAgg } from '../stats/aggregate.ts';
import { headlineOf, metricsObject, type Headline, type MetricsObject } from '../stats/metrics-object.ts';
import { windowEndingAt, type WindowName } from '../stats/windows.ts';
import { listProviders, listTargetInfos, type ModelInfo, type ProviderInfo, type TargetInfo } from './catalog-read.ts';
import { providerStatuses, UNKNOWN_STATUS, type StatusView } from './status-read.ts';
import type { WindowCache } from './window-cache.ts';
import { readScopeWindow } from './window-read.ts';

/**
 * The metrics read functions the API and the dashboard share: a window ending `now` for a
 * target, a provider (all its targets) or a model (every provider serving it). With a
 * WindowCache (one per server), closed time is merged once and kept in memory.
 */
export interface TargetBreakdown {
  target: TargetInfo;
  metrics: Headline;
}

export interface ScopeMetrics {
  metrics: MetricsObject;
  /** One entry per target: active ones, and removed ones that still have probes in the window. */
  targets: TargetBreakdown[];
}

async function scopeMetrics(db: Kysely<Database>, key: string, targets: readonly TargetInfo[], window: WindowName, now: number, cache: WindowCache | undefined): Promise<ScopeMetrics> {
  const range = windowEndingAt(window, now);
  const read = await readScopeWindow(db, { key, targetIds: targets.map((t) => t.id) }, range, now, cache);
  const breakdown: TargetBreakdown[] = [];
  for (const target of targets) {
    const agg = read.byTarget.get(target.id) ?? emptyAgg();
    if (target.active || agg.probes > 0) breakdown.push({ target, metrics: headlineOf(agg) });
  }
  return { metrics: metricsObject(range, read.total, read.points), targets: breakdown };
}

export async function providerMetrics(db: Kysely<Database>, provider: Pick<ProviderInfo, 'id'>, window: WindowName, now: number, cache?: WindowCache): Promise<ScopeMetrics> {
  return scopeMetrics(db, `p:${provider.id}`, await listTargetInfos(db, { providerIds: [provider.id] }), window, now, cache);
}

export async function modelMetrics(db: Kysely<Database>, model: Pick<ModelInfo, 'id'>, window: WindowName, now: number, cache?: WindowCache): Promise<ScopeMetrics> {
  return scopeMetrics(db, `m:${model.id}`, await listTargetInfos(db, { modelIds: [model.id] }), window, now, cache);
}

/** One target's metrics with its own series (the dashboard's per-model charts). */
export async function targetMetrics(db: Kysely<Database>, target: TargetInfo, window: WindowName, now: number, cache?: WindowCache): Promise<MetricsObject> {
  return (await scopeMetrics(db, `t:${target.id}`, [target], window, now, cache)).metrics;
}

export interface ProviderOverview {
  provider: ProviderInfo;
  status: StatusView;
  /** Headline numbers and the series (a sparkline) for the window. */
  metrics: MetricsObject;
  targets: TargetBreakdown[];
}

/** Every active provider with its status and numbers for one window: the dashboard's live page. */
export async function providerOverview(db: Kysely<Database>, window: WindowName, now: number, cache?: WindowCache): Promise<ProviderOverview[]> {
  const providers = await listProviders(db, { includeInactive: false });
  const statuses = await providerStatuses(db);
  const out: ProviderOverview[] = [];
  for (const provider of providers) {
    const { metrics, targets } = await providerMetrics(db, provider, window, now, cache);
    out.push({ provider, status: statuses.get(provider.id) ?? UNKNOWN_STATUS, metrics, targets });
  }
  return out;
}
