import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { encodeCursor } from '../src/http/pagination.ts';
import { createTestKeys, type TestKeys } from './helpers/keys.ts';
import { assertPagesCover, assertPagingErrors, walkPages, type GetPage, type ListPage } from './helpers/paging.ts';
import { startReceiver, type Receiver } from './helpers/receiver.ts';
import { startWebhookApp, type WebhookTestApp } from './helpers/webhooks.ts';

/**
 * GET /v1/webhooks/endpoints/{id}/deliveries page by page, newest first, against the real
 * outbox: events go in through the status engine's own entry point (enqueueEvent), the
 * deliverer posts them to a local receiver. Two endpoints share every event, so a page that
 * strayed to the other's deliveries would show.
 */
let receiver: Receiver;
let w: WebhookTestApp;
let keys: TestKeys;
let endpointA: string;
let endpointB: string;
let mixed: string;
/** Event ids in the order they were written: deliveries list newest first, the reverse. */
const written: string[] = [];
/** The mixed endpoint's events in writing order, and which of them its receiver refused. */
const mixedWritten: string[] = [];
const delivered: string[] = [];
const pending: string[] = [];

before(async () => {
  receiver = await startReceiver();
  w = await startWebhookApp();
  keys = await createTestKeys(w.t);
  const create = async (path: string, events: string[]) => (await w.api('POST', '/v1/webhooks/endpoints', { url: receiver.url(path), events })).body.id as string;
  endpointA = await create('/a', ['provider.degraded']);
  endpointB = await create('/b', ['provider.degraded']);
  mixed = await create('/mixed', ['provider.recovered']);
  for (let i = 0; i < 105; i++) written.push(await w.emit({ type: 'provider.degraded', data: { provider: 'openai', n: i } }));
  await w.settle();
  // One at a time, so each delivery meets the answer meant for it: 500 leaves it pending for a retry.
  for (let i = 0; i < 9; i++) {
    receiver.script('/mixed', [i % 3 === 0 ? 500 : 200]);
    const event = await w.emit({ type: 'provider.recovered', data: { provider: 'openai', n: i } });
    mixedWritten.push(event);
    (i % 3 === 0 ? pending : delivered).push(event);
    await w.settle();
  }
});

after(async () => {
  await w.stop();
  await receiver.close();
});

type Delivery = { id: string; event_id: string; endpoint_id: string; status: string };

/** Plain fetch: the preloaded checker (check-api-responses.mjs) already holds every answer to the document. */
const deliveries =
  (endpoint: () => string, filter = ''): GetPage<Delivery> =>
  async (query) => {
    const res = await fetch(`${w.t.url}/v1/webhooks/endpoints/${endpoint()}/deliveries?${filter}${query}`, { headers: keys.auth('admin') });
    return { status: res.status, body: (await res.json()) as ListPage<Delivery> };
  };
const newestFirst = (events: readonly string[]) => [...events].reverse();

test('every delivery of the endpoint once, newest first, at limits 1, 2, 3 and 100', async () => {
  assert.equal(receiver.on('/a').length, 105, 'the outbox delivered every event to the endpoint');
  const expected = (endpoint: string) => newestFirst(written).map((e) => `${endpoint} ${e} delivered`);
  const key = (d: Delivery) => `${d.endpoint_id} ${d.event_id} ${d.status}`;
  await assertPagesCover(deliveries(() => endpointA), key, expected(endpointA));
  await assertPagesCover(deliveries(() => endpointB), key, expected(endpointB), [3, 100]);
});

test('a status filter pages only that status, newest first', async () => {
  await assertPagesCover(deliveries(() => mixed, 'status=pending&'), (d) => `${d.event_id} ${d.status}`, newestFirst(pending).map((e) => `${e} pending`), [1, 2, 100]);
  await assertPagesCover(deliveries(() => mixed, 'status=delivered&'), (d) => `${d.event_id} ${d.status}`, newestFirst(delivered).map((e) => `${e} delivered`), [1, 2, 4, 100]);
  await assertPagesCover(deliveries(() => mixed), (d) => `${d.event_id} ${d.status}`, newestFirst(mixedWritten).map((e) => `${e} ${pending.includes(e) ? 'pending' : 'delivered'}`), [2, 100]);
});

test('deliveries queued while a client pages go to the front: the walk neither repeats nor skips', async () => {
  const get = deliveries(() => endpointA);
  const first = await get('limit=10');
  for (let i = 0; i < 3; i++) written.push(await w.emit({ type: 'provider.degraded', data: { provider: 'openai', late: i } }));
  await w.settle();
  const rest = await walkPages(get, 10, 10, first.body.next_cursor);
  assert.deepEqual([...first.body.data, ...rest.items].map((d) => d.event_id), newestFirst(written.slice(0, 105)), 'the walk that began before them');
  const fresh = await get('limit=3');
  assert.deepEqual(fresh.body.data.map((d) => d.event_id), newestFirst(written).slice(0, 3), 'a new walk starts with them');
});

test('limit outside 1–100, not a whole number, or a cursor the list never issued: 400 invalid_request; unknown endpoint 404', async () => {
  const { body } = await deliveries(() => endpointA)('limit=2');
  const seq: unknown = JSON.parse(Buffer.from(body.next_cursor!, 'base64url').toString('utf8'));
  assert.equal(typeof seq, 'number', 'the cursor is the last delivery\'s sequence number (opaque to clients, known here)');
  // Any other whole number is a place in the list a client may ask for; these are no place at all.
  await assertPagingErrors(deliveries(() => endpointA), [encodeCursor(String(seq)), encodeCursor(Number(seq) + 0.5), encodeCursor([seq]), encodeCursor('m001'), encodeCursor([Date.now(), 3])]);
  await assertPagingErrors(deliveries(() => mixed, 'status=pending&'), [encodeCursor('7')]);
  const missing = await deliveries(() => 'we_nothing')('limit=2');
  assert.equal(missing.status, 404);
});
