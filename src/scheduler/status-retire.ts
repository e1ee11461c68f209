import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { retireProvider } from '../status/incident.ts';
import { findOpenIncident, openIncidentsOfInactiveProviders } from '../store/incidents.ts';
import { findProviderStatus, saveProviderStatus } from '../store/status.ts';
import { incidentLogFields, writeIncidentChange } from './incident-change.ts';
import { createEventIds, toSnapshot } from './status-stage.ts';

/**
 * Run after every catalog sync (start-up and reload): a provider the sync marked inactive is never
 * evaluated again, so its open incident is resolved here, each in its own transaction with its
 * events. Returns how many were resolved (the caller wakes the webhook deliverer if any).
 */
export async function retireRemovedProviders(db: Kysely<Database>, deps: { clock: Clock; logger: Logger; newEventId?: (now: number) => string }): Promise<number> {
  const log = deps.logger.child('status');
  const newEventId = deps.newEventId ?? createEventIds();
  let retired = 0;
  for (const row of await openIncidentsOfInactiveProviders(db)) {
    const now = deps.clock.now();
    const provider = { slug: row.providerSlug, name: row.providerName };
    const decision = await db.transaction().execute(async (trx) => {
      // Read again inside the transaction: a probe that committed since the list was read may
      // already have resolved it, and it must not be resolved (and announced) twice.
      const open = await findOpenIncident(trx, row.providerId);
      if (open?.id !== row.id) return undefined;
      const previous = (await findProviderStatus(trx, row.providerId)) ?? null;
      const resolution = retireProvider(toSnapshot(open)!, previous, now);
      await saveProviderStatus(trx, row.providerId, resolution.state, now);
      await writeIncidentChange(trx, { providerId: row.providerId, provider, previousStatus: previous?.status ?? 'unknown', decision: resolution, now, newEventId });
      return resolution;
    });
    if (decision === undefined) continue;
    log.info('incident_changed', incidentLogFields(provider, decision));
    retired += 1;
  }
  return retired;
}
