import type { IncidentCause, IncidentChange, IncidentScope, IncidentSnapshot, IncidentUpdatePlan, ProviderDecision, ProviderEventType } from './incident.ts';
import type { IncidentSeverity, StatusName } from './types.ts';

/** The public shape of an incident: the API and the webhook events share it. */
export interface IncidentView {
  id: string;
  provider: string;
  provider_name: string;
  scope: IncidentScope;
  affected_models: string[];
  status: 'open' | 'resolved';
  severity: IncidentSeverity;
  title: string;
  cause: IncidentCause;
  started_at: string;
  updated_at: string;
  resolved_at: string | null;
}

export interface IncidentUpdateView {
  id: number;
  at: string;
  kind: IncidentChange;
  status: 'open' | 'resolved';
  severity: IncidentSeverity;
  affected_models: string[];
  message: string;
  cause: IncidentCause;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function incidentView(incident: IncidentSnapshot, provider: { slug: string; name: string }): IncidentView {
  return {
    id: incident.id,
    provider: provider.slug,
    provider_name: provider.name,
    scope: incident.scope,
    affected_models: incident.affectedModels,
    status: incident.status,
    severity: incident.severity,
    title: incident.title,
    cause: incident.cause,
    started_at: iso(incident.startedAt),
    updated_at: iso(incident.updatedAt),
    resolved_at: incident.resolvedAt === null ? null : iso(incident.resolvedAt),
  };
}

export function updateView(id: number, update: IncidentUpdatePlan): IncidentUpdateView {
  return {
    id,
    at: iso(update.at),
    kind: update.kind,
    status: update.status,
    severity: update.severity,
    affected_models: update.affectedModels,
    message: update.message,
    cause: update.cause,
  };
}

/**
 * The `data` of each outbox event a decision calls for (DESIGN.md §7). Incident events carry the
 * whole incident and the timeline entry that caused them, so a receiver needs no second request.
 */
export function eventData(
  type: ProviderEventType,
  decision: ProviderDecision & { change: NonNullable<ProviderDecision['change']> },
  provider: { slug: string; name: string },
  previousStatus: StatusName,
  updateId: number,
): Record<string, unknown> {
  const { incident, update } = decision.change;
  if (type === 'incident.created' || type === 'incident.updated') {
    return { incident: incidentView(incident, provider), update: updateView(updateId, update) };
  }
  const base = {
    provider: { slug: provider.slug, name: provider.name },
    status: decision.state.status,
    previous_status: previousStatus,
    incident_id: incident.id,
  };
  if (type === 'provider.degraded') return { ...base, severity: incident.severity, scope: incident.scope, affected_models: incident.affectedModels, cause: update.cause };
  return { ...base, duration_s: Math.round((update.at - incident.startedAt) / 1000), cause: update.cause };
}
