import { describeCause, statusWords } from './describe.ts';
import { isIncidentStatus, severityOf, type Cause, type IncidentSeverity, type StatusName } from './types.ts';
import { compareText } from '../lib/compare.ts';

export type IncidentScope = 'provider' | 'model';
export type IncidentChange = 'opened' | 'reopened' | 'severity_changed' | 'models_changed' | 'resolved';
export type ProviderEventType = 'incident.created' | 'incident.updated' | 'provider.degraded' | 'provider.recovered';

/** A cause as an incident records it: which model's evaluation it came from. */
export type IncidentCause = Cause & { model: string };

export interface IncidentSnapshot {
  id: string;
  status: 'open' | 'resolved';
  severity: IncidentSeverity;
  scope: IncidentScope;
  affectedModels: string[];
  title: string;
  cause: IncidentCause;
  startedAt: number;
  updatedAt: number;
  resolvedAt: number | null;
}

export interface TargetView {
  model: string;
  status: StatusName;
  cause: Cause | null;
  maintenance: boolean;
}

export interface ProviderState {
  status: StatusName;
  since: number;
  maintenance: boolean;
}

export interface ProviderInput {
  provider: { slug: string; name: string };
  previous: ProviderState | null;
  /** Every active target of the provider, as it stands after this evaluation. */
  targets: TargetView[];
  /** A window covers the whole provider. */
  providerMaintenance: boolean;
  open: IncidentSnapshot | null;
  /** The provider's most recently resolved incident, if any. */
  lastResolved: IncidentSnapshot | null;
  reopenWithinMs: number;
  /** The target whose evaluation led here, and the cause of its latest change. */
  trigger: { model: string; cause: Cause };
  now: number;
  newIncidentId: string;
}

export interface IncidentUpdatePlan {
  kind: IncidentChange;
  at: number;
  status: 'open' | 'resolved';
  severity: IncidentSeverity;
  affectedModels: string[];
  message: string;
  cause: IncidentCause;
}

export interface ProviderDecision {
  state: ProviderState;
  /** The incident after the change, and the timeline entry; null when nothing changed. */
  change: { incident: IncidentSnapshot; isNew: boolean; update: IncidentUpdatePlan } | null;
  /** Outbox events, in the order they must be delivered. */
  events: ProviderEventType[];
}

const DISPLAY_RANK: Record<StatusName, number> = { unknown: 0, misconfigured: 1, operational: 2, degraded: 3, partial_outage: 4, major_outage: 5 };

/** A provider's status is the worst of its targets'; healthy beats "cannot tell" or "our key is wrong". */
export function providerStatusOf(targets: readonly TargetView[]): StatusName {
  let worst: StatusName = 'unknown';
  for (const t of targets) if (DISPLAY_RANK[t.status] > DISPLAY_RANK[worst]) worst = t.status;
  return worst;
}

export function incidentTitle(providerName: string, scope: IncidentScope, models: readonly string[], severity: IncidentSeverity): string {
  const who = scope === 'model' ? `${providerName} ${models.join(', ')}` : providerName;
  return `${who}: ${statusWords(severity)}`;
}

const sameModels = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((m, i) => m === b[i]);

/*
 * Provider and incident decisions, taken after a target's evaluation. Targets inside a
 * maintenance window are left out (one already listed in the open incident stays listed and keeps
 * it open); when that leaves no target, nothing about the incident changes.
 *
 * | open incident | affected targets | other                                   | change           | events                                 |
 * |---------------|------------------|-----------------------------------------|------------------|----------------------------------------|
 * | none          | none             |                                         | —                | —                                      |
 * | none          | some             | last one resolved within reopen_within  | reopened         | incident.updated, provider.degraded    |
 * | none          | some             | otherwise                               | opened           | incident.created, provider.degraded    |
 * | open          | none             |                                         | resolved         | incident.updated, provider.recovered   |
 * | open          | some             | worst severity changed                  | severity_changed | incident.updated                       |
 * | open          | some             | set of affected models changed          | models_changed   | incident.updated                       |
 * | open          | some             | same severity and models                | —                | —                                      |
 */
export function decideProvider(input: ProviderInput): ProviderDecision {
  const { now, previous, trigger } = input;
  const status = providerStatusOf(input.targets);
  const allInMaintenance = input.targets.length > 0 && input.targets.every((t) => t.maintenance);
  const state: ProviderState = {
    status,
    since: previous && previous.status === status ? previous.since : now,
    maintenance: input.providerMaintenance || allInMaintenance,
  };
  const considered = input.providerMaintenance ? [] : input.targets.filter((t) => !t.maintenance);
  if (considered.length === 0) return { state, change: null, events: [] };

  const affected = considered.filter((t) => isIncidentStatus(t.status)).sort((a, b) => severityOf(b.status) - severityOf(a.status) || compareText(a.model, b.model));
  const open = input.open;
  // A model inside a window keeps whatever place it had in the open incident: it neither joins,
  // leaves nor resolves it until its window ends, so its window fires no event.
  const frozen = input.targets.filter((t) => t.maintenance && open?.affectedModels.includes(t.model)).map((t) => t.model);
  const models = [...affected.map((t) => t.model), ...frozen].sort();
  const name = input.provider.name;

  if (affected.length === 0) {
    if (!open || frozen.length > 0) return { state, change: null, events: [] };
    const cause: IncidentCause = { ...trigger.cause, model: trigger.model };
    const incident: IncidentSnapshot = { ...open, status: 'resolved', updatedAt: now, resolvedAt: now };
    const message = `Resolved: ${trigger.model}: ${describeCause(trigger.cause)}`;
    const update: IncidentUpdatePlan = { kind: 'resolved', at: now, status: 'resolved', severity: open.severity, affectedModels: open.affectedModels, message, cause };
    return { state, change: { incident, isNew: false, update }, events: ['incident.updated', 'provider.recovered'] };
  }

  const worst = affected[0]!;
  const severity = worst.status as IncidentSeverity;
  const scope: IncidentScope = affected.length < considered.length ? 'model' : 'provider';
  // The incident's cause is why its worst target is bad now; a timeline entry's cause is what
  // changed (the trigger's transition, e.g. a recovery step) when the trigger is that target.
  const driver = affected.find((t) => t.model === trigger.model && t.status === severity) ?? worst;
  const current: IncidentCause = { ...(driver.cause ?? trigger.cause), model: driver.model };
  const cause: IncidentCause = driver.model === trigger.model ? { ...trigger.cause, model: trigger.model } : current;
  const title = incidentTitle(name, scope, models, severity);
  const explained = `${driver.model}: ${describeCause(cause)}`;

  if (!open) {
    const recent = input.lastResolved;
    const reopen = recent !== null && recent.resolvedAt !== null && now - recent.resolvedAt <= input.reopenWithinMs;
    const base = reopen ? recent : null;
    const incident: IncidentSnapshot = {
      id: base?.id ?? input.newIncidentId,
      status: 'open',
      severity,
      scope,
      affectedModels: models,
      title,
      cause: current,
      startedAt: base?.startedAt ?? now,
      updatedAt: now,
      resolvedAt: null,
    };
    const kind: IncidentChange = reopen ? 'reopened' : 'opened';
    const message = `${reopen ? 'Reopened' : 'Opened'}: ${statusWords(severity)}; ${explained}`;
    const update: IncidentUpdatePlan = { kind, at: now, status: 'open', severity, affectedModels: models, message, cause };
    return { state, change: { incident, isNew: !reopen, update }, events: [reopen ? 'incident.updated' : 'incident.created', 'provider.degraded'] };
  }

  let kind: IncidentChange | null = null;
  let message = '';
  let updateCause = cause;
  if (severity !== open.severity) {
    kind = 'severity_changed';
    message = `Severity ${statusWords(open.severity)} → ${statusWords(severity)}; ${explained}`;
  } else if (!sameModels(models, open.affectedModels)) {
    kind = 'models_changed';
    // The model that joined or left explains this change, not the worst one.
    updateCause = { ...trigger.cause, model: trigger.model };
    message = `Affected models: ${models.join(', ')}; ${trigger.model}: ${describeCause(trigger.cause)}`;
  }
  if (kind === null) return { state, change: null, events: [] };
  const incident: IncidentSnapshot = { ...open, severity, scope, affectedModels: models, title, cause: current, updatedAt: now };
  const update: IncidentUpdatePlan = { kind, at: now, status: 'open', severity, affectedModels: models, message, cause: updateCause };
  return { state, change: { incident, isNew: false, update }, events: ['incident.updated'] };
}

/**
 * A provider removed from the config is never evaluated again, so nothing else would ever close
 * its open incident (or clear an alert raised from it). The sync that removes it resolves the
 * incident, saying why, with the events a recovery sends; its status becomes `unknown`.
 */
export function retireProvider(open: IncidentSnapshot, previous: ProviderState | null, now: number): ProviderDecision & { change: NonNullable<ProviderDecision['change']> } {
  const cause: IncidentCause = { rule: 'removed_from_config', value: null, threshold: null, window: null, samples: 0, model: open.cause.model };
  const incident: IncidentSnapshot = { ...open, status: 'resolved', updatedAt: now, resolvedAt: now };
  const update: IncidentUpdatePlan = { kind: 'resolved', at: now, status: 'resolved', severity: open.severity, affectedModels: open.affectedModels, message: `Resolved: ${describeCause(cause)}`, cause };
  const state: ProviderState = { status: 'unknown', since: previous?.status === 'unknown' ? previous.since : now, maintenance: false };
  return { state, change: { incident, isNew: false, update }, events: ['incident.updated', 'provider.recovered'] };
}
