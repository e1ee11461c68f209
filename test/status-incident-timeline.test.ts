import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { encodeCursor } from '../src/http/pagination.ts';
import { createManualClock } from '../src/lib/clock.ts';
import { addIncidentUpdate, saveIncident } from '../src/store/incidents.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createTestKeys, type TestKeys } from './helpers/keys.ts';
import { assertPagesCover, assertPagingErrors, walkPages, type GetPage } from './helpers/paging.ts';

/**
 * A flapping incident's timeline is bounded: the detail embeds the first 100 entries with a
 * cursor, GET /v1/incidents/{id}/timeline pages the rest oldest first by (at, id), and the
 * dashboard shows 100 at a time. Timelines are written through the store's own functions.
 */
const T0 = Date.UTC(2026, 10, 20);
const MIN = 60_000;
const cause = { rule: 'consecutive_failures', value: 3, threshold: 3, window: null, samples: 3, model: 'm1' };

let t: TestApp;
let keys: TestKeys;
/** Each incident's entries as written, kept in the documented order: (at, id). */
const expected = new Map<string, { id: number; at: number; message: string }[]>();

async function writeIncident(id: string, ats: readonly number[]): Promise<void> {
  const providerId = t.app.targets()[0]!.providerId;
  await t.app.db.kysely.transaction().execute((trx) =>
    saveIncident(trx, { id, providerId, status: 'open', severity: 'major_outage', scope: 'model', affectedModels: ['m1'], title: id, cause, startedAt: T0, updatedAt: T0, resolvedAt: null }, true),
  );
  expected.set(id, []);
  await appendUpdates(id, ats);
}

/** Writes an entry per instant, in the order given (not necessarily the order of time); messages are `<incident>#<n>`. */
async function appendUpdates(id: string, ats: readonly number[]): Promise<void> {
  const list = expected.get(id)!;
  await t.app.db.kysely.transaction().execute(async (trx) => {
    for (const at of ats) {
      const message = `${id}#${list.length}`;
      list.push({ id: await addIncidentUpdate(trx, { incidentId: id, at, kind: 'severity_changed', status: 'open', severity: 'major_outage', affectedModels: ['m1'], message, cause }), at, message });
    }
  });
  list.sort((a, b) => a.at - b.at || a.id - b.id);
}

/**
 * 130 entries: in threes per minute (ties broken by id), then ten written late with earlier
 * times, as after a clock step back: only (at, id) order puts them where they belong.
 */
const flapping = [...Array.from({ length: 120 }, (_, i) => T0 + Math.floor(i / 3) * MIN), ...Array.from({ length: 10 }, (_, i) => T0 + i * 4 * MIN + 30_000)];

before(async () => {
  t = await startTestApp(
    { defaults: { schedule: '0 0 1 1 *' }, providers: [{ slug: 'acme', kind: 'openai', base_url: 'http://127.0.0.1:9/v1', models: [{ slug: 'm1' }] }] },
    { clock: createManualClock(T0 + 100 * 60 * MIN) },
  );
  keys = await createTestKeys(t);
  await writeIncident('inc_flapping', flapping);
  // Written alongside, at the same instants: the keyset must keep to its own incident.
  await writeIncident('inc_hundred', flapping.slice(0, 100));
  // Its 101st entry, written last, sorts near the start: the one left out of a first page of 100 is another.
  await writeIncident('inc_hundredone', [...flapping.slice(0, 100), flapping[120]!]);
  await writeIncident('inc_empty', []);
});

after(() => t.stop());

/** Plain fetch: the preloaded checker (check-api-responses.mjs) already holds every answer to the document. */
const get = async (path: string) => {
  const res = await fetch(`${t.url}${path}`, { headers: keys.auth() });
  return { status: res.status, body: (await res.json()) as any };
};
const timeline = (id: string): GetPage<{ id: number }> => (query) => get(`/v1/incidents/${id}/timeline?${query}`);
const ids = (id: string) => expected.get(id)!.map((u) => u.id);

test('the timeline route serves every entry once, oldest first by (at, id), at limits 1, 2, 3 and 100', async () => {
  assert.equal(ids('inc_flapping').length, 130);
  assert.notDeepEqual(ids('inc_flapping'), [...ids('inc_flapping')].sort((a, b) => a - b), 'the fixture has entries whose id order is not their time order');
  await assertPagesCover(timeline('inc_flapping'), (u) => u.id, ids('inc_flapping'));
  // Around the edge of a full page of 100; the small limits are the long timeline's to walk.
  for (const id of ['inc_hundred', 'inc_hundredone', 'inc_empty']) await assertPagesCover(timeline(id), (u) => u.id, ids(id), [3, 99, 100]);
  const first = await get('/v1/incidents/inc_flapping/timeline');
  assert.equal(first.body.data.length, 20, 'the default page is 20 entries');
  const entry = first.body.data[0];
  assert.deepEqual(entry, { id: ids('inc_flapping')[0], at: new Date(T0).toISOString(), kind: 'severity_changed', status: 'open', severity: 'major_outage', affected_models: ['m1'], message: 'inc_flapping#0', cause });
  assert.deepEqual(await get('/v1/incidents/inc_empty/timeline'), { status: 200, body: { data: [], has_more: false, next_cursor: null } });
});

test('entries written while a client pages come on its later pages, none twice', async () => {
  await writeIncident('inc_growing', flapping.slice(0, 7));
  const page1 = await get('/v1/incidents/inc_growing/timeline?limit=5');
  assert.equal(page1.body.has_more, true);
  await appendUpdates('inc_growing', [T0 + 500 * MIN, T0 + 2 * MIN]);
  const rest = await walkPages(timeline('inc_growing'), 5, 2, page1.body.next_cursor);
  const seen = [...page1.body.data, ...rest.items].map((u: { id: number }) => u.id);
  const late = expected.get('inc_growing')!.at(-1)!.id;
  assert.equal(seen.at(-1), late, 'the later entry ends the walk');
  assert.equal(new Set(seen).size, seen.length, 'nothing twice');
  assert.deepEqual(seen, ids('inc_growing').filter((id) => seen.includes(id)), 'in (at, id) order');
});

test('the detail embeds the first 100 entries, and its cursor reads the rest from the timeline route', async () => {
  const cases = [
    ['inc_flapping', 130],
    ['inc_hundredone', 101],
    ['inc_hundred', 100],
    ['inc_empty', 0],
  ] as const;
  for (const [id, total] of cases) {
    const { status, body } = await get(`/v1/incidents/${id}`);
    assert.equal(status, 200);
    assert.deepEqual(body.timeline.map((u: { id: number }) => u.id), ids(id).slice(0, 100), id);
    assert.equal(body.timeline_has_more, total > 100, id);
    assert.equal(body.timeline_next_cursor === null, total <= 100, id);
    const firstPage = await get(`/v1/incidents/${id}/timeline?limit=100`);
    assert.deepEqual(
      { data: body.timeline, has_more: body.timeline_has_more, next_cursor: body.timeline_next_cursor },
      firstPage.body,
      `${id}: the embedded timeline is the route's first page of 100`,
    );
    if (total <= 100) continue;
    for (const limit of [1, 3, 100]) {
      const rest = await walkPages(timeline(id), limit, Math.ceil((total - 100) / limit), body.timeline_next_cursor);
      assert.deepEqual(rest.items.map((u) => u.id), ids(id).slice(100), `${id}, limit=${limit}: the rest, each once`);
    }
  }
});

test('timeline errors: unknown incident 404, bad id, limit and cursor 400', async () => {
  const missing = await get('/v1/incidents/inc_nope/timeline');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error, 'not_found');
  for (const path of ['/v1/incidents/nope/timeline', '/v1/incidents/inc_flapping/timeline?colour=red']) assert.equal((await get(path)).status, 400, path);
  const { body } = await get('/v1/incidents/inc_flapping/timeline?limit=2');
  await assertPagingErrors(timeline('inc_flapping'), [
    body.next_cursor.slice(0, -1),
    encodeCursor([T0, 'inc_flapping']),
    encodeCursor([T0]),
    encodeCursor([T0 + 0.5, 3]),
    encodeCursor('inc_flapping'),
  ]);
});

test('the dashboard shows 100 entries at a time, says how many more, and links to them', async () => {
  const messages = (text: string) => [...text.matchAll(/<div>(inc_flapping#\d+)<\/div>/g)].map((m) => m[1]!);
  const shown: string[] = [];
  const notes: (string | undefined)[] = [];
  let path: string | undefined = '/incidents/inc_flapping';
  while (path !== undefined) {
    const res = await fetch(`${t.url}${path}`);
    assert.equal(res.status, 200, path);
    const text = await res.text();
    shown.push(...messages(text));
    notes.push(/(\d+) later updates not shown/.exec(text)?.[1]);
    const next = /<a href="(\/incidents\/inc_flapping\?after=\d+\.\d+)">Later updates/.exec(text)?.[1];
    assert.ok(shown.length <= 130, 'the links end');
    path = next;
  }
  assert.deepEqual(shown, expected.get('inc_flapping')!.map((u) => u.message), 'every entry once, in (at, id) order');
  assert.deepEqual(notes, ['30', undefined]);
  const short = await (await fetch(`${t.url}/incidents/inc_hundred`)).text();
  assert.equal(short.includes('not shown'), false, 'exactly 100 entries need no link');
});
