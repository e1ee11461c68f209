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

export async function providerStatuses(_db: Kysely<Database>): Promise<Map<number, StatusView>> {
  return new Map();
}

export async function targetStatuses(_db: Kysely<Database>): Promise<Map<number, StatusView>> {
  return new Map();
}
