import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/**
 * Current status as the read API and dashboard show it. The status engine owns the tables
 * behind this; until a target has been evaluated it is `unknown`.
 */
export type StatusName = 'operational' | 'degraded' | 'partial_outage' | 'major_outage' | 'unknown' | 'misconfigured';

export interface StatusView {
  status: StatusName;
  /** Epoch ms of the last change, or null when never evaluated. */
  since: number | null;
  /** Set while a maintenance window covers it. */
  maintenance: boolean;
}

export const UNKNOWN_STATUS: StatusView = { status: 'unknown', since: null, maintenance: false };

type StatusRow = { id: number; status: string; since: number; maintenance: number };

function toMap(rows: StatusRow[]): Map<number, StatusView> {
  return new Map(rows.map((row) => [row.id, { status: row.status as StatusName, since: Number(row.since), maintenance: row.maintenance === 1 }]));
}

/** Provider id → status; a provider missing from the map has not been evaluated (UNKNOWN_STATUS). */
export async function providerStatuses(db: Kysely<Database>): Promise<Map<number, StatusView>> {
  return toMap(await db.selectFrom('provider_status').select(['provider_id as id', 'status', 'since', 'maintenance']).execute());
}

/** Target id → status; a target missing from the map has not been evaluated (UNKNOWN_STATUS). */
export async function targetStatuses(db: Kysely<Database>): Promise<Map<number, StatusView>> {
  return toMap(await db.selectFrom('target_status').select(['target_id as id', 'status', 'since', 'maintenance']).execute());
}
