import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Compilable } from 'kysely';
import { openDatabase, type Db } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { deliveryPageQuery } from '../src/store/delivery-history.ts';
import { timelinePageQuery } from '../src/store/incidents.ts';
import { tempDir } from './helpers/temp.ts';

// Lists that grow without bound (an endpoint's deliveries, a flapping incident's timeline) are
// read a page at a time. Each page must be a range scan of an index in the page's order: a plan
// that sorts ("USE TEMP B-TREE FOR ORDER BY") reads and sorts the whole history for every page.
const dir = tempDir('cappulse-plans-');
let db: Db;

before(async () => {
  db = openDatabase(dir.file('plans.db'));
  await migrateToLatest(db.kysely);
});
after(async () => {
  await db.close();
  dir.remove();
});

function plan(query: Compilable): string[] {
  const { sql, parameters } = query.compile();
  return db.sqlite
    .prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...(parameters as unknown[]))
    .map((row) => (row as { detail: string }).detail);
}

function assertRangeScan(name: string, query: Compilable, index: string): void {
  const steps = plan(query);
  assert.ok(!steps.some((step) => step.includes('TEMP B-TREE')), `${name}: sorts instead of reading an index in order: ${steps.join(' | ')}`);
  assert.ok(steps.some((step) => step.includes(`INDEX ${index} `)), `${name}: does not use ${index}: ${steps.join(' | ')}`);
}

test("a page of an endpoint's deliveries is read from an index in seq order, with or without a status", () => {
  const pages = [
    { name: 'first page', page: { limit: 51 }, index: 'deliveries_endpoint_seq' },
    { name: 'later page', page: { limit: 51, beforeSeq: 1000 }, index: 'deliveries_endpoint_seq' },
    { name: 'first page of one status', page: { limit: 51, status: 'failed' as const }, index: 'deliveries_endpoint' },
    { name: 'later page of one status', page: { limit: 51, status: 'failed' as const, beforeSeq: 1000 }, index: 'deliveries_endpoint' },
  ];
  for (const { name, page, index } of pages) assertRangeScan(name, deliveryPageQuery(db.kysely, 'wh_1', page), index);
});

test("a page of an incident's timeline is read from an index in (at, id) order", () => {
  assertRangeScan('first page', timelinePageQuery(db.kysely, 'inc_1', { limit: 101 }), 'incident_updates_incident_at');
  assertRangeScan('later page', timelinePageQuery(db.kysely, 'inc_1', { limit: 101, after: { at: 1_800_000_000_000, id: 42 } }), 'incident_updates_incident_at');
});
