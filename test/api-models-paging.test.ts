import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { validateConfig } from '../src/config/load.ts';
import type { ConfigInput } from '../src/config/schema.ts';
import { encodeCursor } from '../src/http/pagination.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createTestKeys, type TestKeys } from './helpers/keys.ts';
import { assertPagesCover, assertPagingErrors, type GetPage, type ListPage } from './helpers/paging.ts';

/**
 * GET /v1/models page by page against the real server: more models than a page of 100, listed in
 * the config in an order that is not slug order, one served by two providers (a join that must
 * not list it twice), and some removed from the config (inactive: listed only on request).
 */
const pad = (n: number) => `m${String(n).padStart(3, '0')}`;
// 37 is prime to 110, so this visits every number below 110 once, in scrambled order.
const ALPHA = Array.from({ length: 110 }, (_, i) => pad((i * 37) % 110));
const REMOVED = ['m020', 'm021', 'm022', 'm023', 'm024'];
const BETA = ['m050', 'm110'];
const provider = (slug: string, models: readonly string[]) => ({ slug, kind: 'openai' as const, base_url: `http://127.0.0.1:9/${slug}`, models: models.map((m) => ({ slug: m })) });
const CONFIG: ConfigInput = { defaults: { schedule: '0 0 1 1 *' }, providers: [provider('alpha', ALPHA), provider('beta', BETA)] };

const ALL = [...new Set([...ALPHA, ...BETA])].sort();
const ACTIVE = ALL.filter((slug) => !REMOVED.includes(slug));

let t: TestApp;
let keys: TestKeys;

before(async () => {
  t = await startTestApp(CONFIG);
  keys = await createTestKeys(t);
  const next = { ...CONFIG, providers: [provider('alpha', ALPHA.filter((m) => !REMOVED.includes(m))), provider('beta', BETA)] };
  await t.app.reload(validateConfig({ ...next, server: { port: 0 }, storage: { path: t.dbPath } }, 'test', {}));
});

after(() => t.stop());

type Model = { slug: string; active: boolean; providers: { slug: string }[] };

/** Plain fetch: the preloaded checker (check-api-responses.mjs) already holds every answer to the document. */
const models =
  (filter = ''): GetPage<Model> =>
  async (query) => {
    const res = await fetch(`${t.url}/v1/models?${filter}${query}`, { headers: keys.auth() });
    return { status: res.status, body: (await res.json()) as ListPage<Model> };
  };

test('the fixture is what the paging tests need: more than a page, config order not slug order', () => {
  assert.ok(ACTIVE.length > 100 && ALL.length > ACTIVE.length);
  assert.notDeepEqual(ALPHA, [...ALPHA].sort());
});

test('GET /v1/models serves every active model once, by slug, at limits 1, 2, 3 and 100', async () => {
  await assertPagesCover(models(), (m) => m.slug, ACTIVE);
  const shared = (await models()('limit=100')).body.data.find((m) => m.slug === 'm050');
  assert.deepEqual(shared?.providers.map((p) => p.slug), ['alpha', 'beta'], 'a model of two providers is one item with both');
});

test('include_inactive=true pages the removed models in their place, marked inactive', async () => {
  await assertPagesCover(models('include_inactive=true&'), (m) => `${m.slug}:${m.active}`, ALL.map((slug) => `${slug}:${!REMOVED.includes(slug)}`));
});

test('the same walk twice gives the same pages: the order is stable', async () => {
  const first = await models()('limit=7');
  const again = await models()('limit=7');
  assert.deepEqual(again.body, first.body);
  const next = await models()(`limit=7&cursor=${first.body.next_cursor}`);
  assert.deepEqual(next.body.data.map((m) => m.slug), ACTIVE.slice(7, 14));
});

test('limit outside 1–100, not a whole number, or a cursor the list never issued: 400 invalid_request', async () => {
  const { body } = await models()('limit=2');
  assert.equal(body.next_cursor, encodeCursor(ACTIVE[1]), 'the cursor is the last slug shown (opaque to clients, known here)');
  await assertPagingErrors(models(), [body.next_cursor!.slice(0, -1), encodeCursor(7), encodeCursor([ACTIVE[1]]), encodeCursor([Date.now(), 'inc_x'])]);
  await assertPagingErrors(models('include_inactive=true&'), [encodeCursor(7)]);
});
