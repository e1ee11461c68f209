import type { Migration } from 'kysely';
import * as initial from './migrations/0001-initial.ts';
import * as events from './migrations/0002-events.ts';
import * as rollups from './migrations/0003-rollups.ts';
import * as apiKeys from './migrations/0004-api-keys.ts';
import * as status from './migrations/0005-status.ts';
import * as webhooks from './migrations/0006-webhooks.ts';
import * as dropRollupSpans from './migrations/0007-drop-rollup-spans.ts';
import * as incidentTimelineOrder from './migrations/0008-incident-timeline-order.ts';
import * as deliveriesEndpointSeq from './migrations/0009-deliveries-endpoint-seq.ts';

/**
 * Every migration, imported explicitly and in order: the standalone executable bundles them, so
 * nothing may be read from a folder at run time. Append new ones at the end; never rename one. kysely runs them in name order, so the
 * number prefix decides.
 */
export const MIGRATIONS: ReadonlyArray<readonly [string, Migration]> = [
  ['0001-initial', initial],
  ['0002-events', events],
  ['0003-rollups', rollups],
  ['0004-api-keys', apiKeys],
  ['0005-status', status],
  ['0006-webhooks', webhooks],
  ['0007-drop-rollup-spans', dropRollupSpans],
  ['0008-incident-timeline-order', incidentTimelineOrder],
  ['0009-deliveries-endpoint-seq', deliveriesEndpointSeq],
];
