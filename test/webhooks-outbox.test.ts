import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openDatabase, type Db } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { claimDue, fanOutEvent, finishAttempts } from '../src/store/deliveries.ts';
import { pruneDeliveredBefore } from '../src/store/delivery-history.ts';
import { enqueueEvent } from '../src/store/events.ts';
import { insertEndpoint, syncConfigEndpoints } from '../src/store/webhooks.ts';
import { tempDir } from './helpers/temp.ts';

/** The outbox's guarantees at the store level, where a crash or a stale worker can be staged exactly. */
const dir = tempDir();
let db: Db;
const T0 = Date.UTC(2026, 10, 26);
const claimOptions = (now: number) => ({ now, limit: 10, leaseMs: 30_000, skipEndpoints: [], perEndpoint: () => 10 });
const attempt = (n: number) => ({ attempt: n, startedAt: T0, durationMs: 1, httpStatus: 200, responseExcerpt: 'ok', error: null });

before(async () => {
  db = openDatabase(dir.file('outbox.db'));
  await migrateToLatest(db.kysely);
  for (const id of ['we_a', 'we_b']) await insertEndpoint(db.kysely, { id, url: `https://example.com/${id}`, events: ['incident.created'], description: null, secret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0' }, T0);
  await insertEndpoint(db.kysely, { id: 'we_other', url: 'https://example.com/other', events: ['provider.recovered'], description: null, secret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0' }, T0);
});
after(async () => {
  await db.close();
  dir.remove();
});

test('an event and its deliveries roll back together with the change that wrote them', async () => {
  await assert.rejects(
    db.kysely.transaction().execute(async (trx) => {
      await enqueueEvent(trx, { type: 'incident.created', data: {} }, T0, 'evt_rolled_back');
      throw new Error('the state change failed');
    }),
  );
  const count = (table: 'events' | 'deliveries') => Number((db.sqlite.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n);
  assert.equal(count('events'), 0);
  assert.equal(count('deliveries'), 0);

  await db.kysely.transaction().execute((trx) => enqueueEvent(trx, { type: 'incident.created', data: {} }, T0, 'evt_kept'));
  assert.equal(count('events'), 1);
  assert.deepEqual((db.sqlite.prepare("select endpoint_id from deliveries where event_id = 'evt_kept' order by endpoint_id").all() as Array<{ endpoint_id: string }>).map((r) => r.endpoint_id), ['we_a', 'we_b']);
  // Fanning out the same event again (a retried step) adds nothing.
  const again = await db.kysely.transaction().execute((trx) => fanOutEvent(trx, { id: 'evt_kept', type: 'incident.created', incidentId: null }, T0));
  assert.equal(again, 0);
  assert.equal(count('deliveries'), 2);
});

test('a lease keeps a delivery from a second worker until it expires; a stale worker cannot mark it', async () => {
  const first = await claimDue(db.kysely, claimOptions(T0));
  assert.equal(first.length, 2);
  assert.equal((await claimDue(db.kysely, claimOptions(T0 + 29_999))).length, 0, 'leased: nobody else gets it');

  // Worker one "crashed"; after the lease another worker takes the deliveries over.
  const second = await claimDue(db.kysely, claimOptions(T0 + 30_000));
  assert.equal(second.length, 2);
  assert.deepEqual(second.map((c) => c.attempt), [2, 2], 'the crashed attempt still counts');

  const stale = first[0]!;
  const fresh = second.find((c) => c.id === stale.id)!;
  const mark = (claim: typeof stale, n: number, status: 'failed' | 'delivered') =>
    db.kysely.transaction().execute((trx) => finishAttempts(trx, [{ claim, record: attempt(n), outcome: { status, nextAttemptAt: null, now: T0 + 31_000 } }]));
  assert.deepEqual([...(await mark(stale, 1, 'failed'))], []);
  assert.deepEqual([...(await mark(fresh, 2, 'delivered'))], [fresh.id]);
  const row = db.sqlite.prepare('select status, lease_token from deliveries where id = ?').get(stale.id) as { status: string; lease_token: string | null };
  assert.deepEqual(row, { status: 'delivered', lease_token: null });
  const attempts = db.sqlite.prepare('select attempt from delivery_attempts where delivery_id = ? order by id').all(stale.id) as Array<{ attempt: number }>;
  assert.deepEqual(attempts.map((a) => a.attempt), [1, 2], 'both attempts happened, so both are in the history');
});

test('config sync: removed endpoints are disabled (history kept) and come back when re-added', async () => {
  const cfg = { id: 'we_cfg_x', url: 'https://example.com/cfg', events: ['incident.created'], description: null };
  await syncConfigEndpoints(db.kysely, [cfg], T0);
  const state = () => db.sqlite.prepare("select enabled, disabled_reason, secret from webhook_endpoints where id = 'we_cfg_x'").get();
  assert.deepEqual(state(), { enabled: 1, disabled_reason: null, secret: null });
  await syncConfigEndpoints(db.kysely, [], T0 + 1);
  assert.deepEqual(state(), { enabled: 0, disabled_reason: 'removed from config', secret: null });
  const apiEndpoints = db.sqlite.prepare("select count(*) as n from webhook_endpoints where source = 'api' and enabled = 1").get() as { n: number };
  assert.equal(apiEndpoints.n, 3, 'API endpoints are not touched by the sync');
  await syncConfigEndpoints(db.kysely, [cfg], T0 + 2);
  assert.deepEqual(state(), { enabled: 1, disabled_reason: null, secret: null });
});

test('attempts that end together are written in one call, each with its own outcome', async () => {
  await db.kysely.transaction().execute((trx) => enqueueEvent(trx, { type: 'incident.created', data: {} }, T0 + 40_000, 'evt_batch'));
  const claims = (await claimDue(db.kysely, claimOptions(T0 + 40_000))).filter((c) => c.eventId === 'evt_batch' && c.endpointId.startsWith('we_') && !c.endpointId.startsWith('we_cfg_'));
  assert.equal(claims.length, 2);
  assert.equal(claims[0]!.leaseToken, claims[1]!.leaseToken, 'claimed together');
  const [a, b] = claims as [(typeof claims)[0], (typeof claims)[0]];
  const applied = await db.kysely.transaction().execute((trx) =>
    finishAttempts(trx, [
      { claim: a, record: attempt(1), outcome: { status: 'delivered', nextAttemptAt: null, now: T0 + 41_000 } },
      { claim: b, record: { ...attempt(1), httpStatus: 500, error: 'HTTP 500' }, outcome: { status: 'pending', nextAttemptAt: T0 + 46_000, now: T0 + 41_000 } },
      { claim: { id: a.id, leaseToken: 'lease_someone_else' }, record: attempt(1), outcome: { status: 'failed', nextAttemptAt: null, now: T0 + 41_000 } },
    ]),
  );
  assert.deepEqual([...applied].sort(), [a.id, b.id].sort());
  const row = (id: string) => db.sqlite.prepare('select status, next_attempt_at, last_http_status from deliveries where id = ?').get(id);
  assert.deepEqual(row(a.id), { status: 'delivered', next_attempt_at: T0 + 41_000, last_http_status: 200 });
  assert.deepEqual(row(b.id), { status: 'pending', next_attempt_at: T0 + 46_000, last_http_status: 500 });
  const attempts = db.sqlite.prepare('select count(*) as n from delivery_attempts where delivery_id in (?, ?)').get(a.id, b.id) as { n: number };
  assert.equal(attempts.n, 3);
});

test('retention prunes delivered history only', async () => {
  const count = (status: string) => (db.sqlite.prepare('select count(*) as n from deliveries where status = ?').get(status) as { n: number }).n;
  const before = { delivered: count('delivered'), pending: count('pending') };
  assert.ok(before.delivered > 0 && before.pending > 0);
  assert.equal(await pruneDeliveredBefore(db.kysely, T0), 0, 'nothing delivered that long ago');
  assert.equal(await pruneDeliveredBefore(db.kysely, T0 + 86_400_000), before.delivered);
  assert.equal(count('delivered'), 0);
  assert.equal(count('pending'), before.pending);
  const orphans = db.sqlite.prepare('select count(*) as n from delivery_attempts where delivery_id not in (select id from deliveries)').get() as { n: number };
  assert.equal(orphans.n, 0);
});
