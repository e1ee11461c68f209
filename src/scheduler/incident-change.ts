import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { ProviderDecision } from '../status/incident.ts';
import { eventData } from '../status/payloads.ts';
import type { StatusName } from '../status/types.ts';
import { enqueueEvent } from '../store/events.ts';
import { addIncidentUpdate, saveIncident } from '../store/incidents.ts';

export type DecidedChange = ProviderDecision & { change: NonNullable<ProviderDecision['change']> };

export interface IncidentChangeInput {
  providerId: number;
  provider: { slug: string; name: string };
  /** The provider's status before this decision, for the events' `previous_status`. */
  previousStatus: StatusName;
  decision: DecidedChange;
  now: number;
  newEventId: (now: number) => string;
}

/**
 * Writes a decided incident change in the caller's transaction: the incident, its timeline entry
 * and the outbox events that announce it, so either all of them commit or none does.
 */
export async function writeIncidentChange(trx: Kysely<Database>, input: IncidentChangeInput): Promise<void> {
  const { decision, provider, providerId, now } = input;
  const { change } = decision;
  await saveIncident(trx, { ...change.incident, providerId }, change.isNew);
  const updateId = await addIncidentUpdate(trx, { ...change.update, incidentId: change.incident.id });
  for (const type of decision.events) {
    const data = eventData(type, decision, provider, input.previousStatus, updateId);
    await enqueueEvent(trx, { type, data, incidentId: change.incident.id, providerId }, now, input.newEventId(now));
  }
}

/** The fields of the `incident_changed` log line. */
export function incidentLogFields(provider: { slug: string }, decision: DecidedChange): Record<string, string> {
  const { incident, update } = decision.change;
  return { provider: provider.slug, incident: incident.id, change: update.kind, severity: incident.severity, models: incident.affectedModels.join(','), events: decision.events.join(',') };
}
