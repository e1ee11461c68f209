import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { validateConfig } from '../src/config/load.ts';
import type { ConfigInput } from '../src/config/schema.ts';
import { encodeCursor } from '../src/http/pagination.ts';
import { createManualClock } from '../src/lib/clock.ts';
import { prefixedId } from '../src/lib/ids.ts';
import { saveIncident, type IncidentRecord } from '../src/store/incidents.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createTestKeys, type TestKeys } from './helpers/keys.ts';
import { assertPagesCover, assertPagingErrors, type GetPage, type ListPage } from './helpers/paging.ts';

/**
 * GET /v1/keys, /v1/providers, /v1/incidents and /v1/webhooks/endpoints page by page against the
 * real server. The three time-ordered lists get rows in runs that share one created_at or
 * started_at (the manual clock stands still between them), so only the id tie-break of their
 * documented order keeps a page boundary inside a run from repeating or skipping a row. The
 * expected order is worked out here from the rows in the table, not asked of the store: the
 * order each route's summary in the OpenAPI document states (keys and incidents newest first,
 * endpoints oldest first, providers by slug).
 */
const T0 = Date.UTC(2026, 10, 20);
const MIN = 60_000;
const clock = createManualClock(T0);

// Listed out of slug order; '-' sorts before the digits and letters, so '0' < '-' would be a locale sort.
const SLUGS = ['zeta', 'alpha', 'a-b', 'a1', 'mu', 'beta9', 'beta', 'omega', 'a0', 'kappa', 'b'];
const REMOVED = ['mu', 'a1', 'omega'];
const provider = (slug: string) => ({ slug, kind: 'openai' as const, base_url: `http://127.0.0.1:9/${slug}`, models: [{ slug: 'm1' }] });
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const configEndpoint = (n: number) => ({ url: `http://127.0.0.1:9/hook/${n}`, secret, events: ['provider.degraded' as const] });
const CONFIG: ConfigInput = {
  defaults: { schedule: '0 0 1 1 *' },
  providers: SLUGS.map(provider),
  webhooks: { allow_private: true, endpoints: [1, 2, 3].map(configEndpoint) },
};

let t: TestApp;
let keys: TestKeys;

/** Runs of rows at one instant: `sizes[i]` rows at T0 + i minutes (the clock stands still within a run). */
async function inRuns(sizes: readonly number[], make: (at: number) => Promise<unknown>): Promise<void> {
  for (const [i, size] of sizes.entries()) {
    clock.set(T0 + i * MIN);
    for (let n = 0; n < size; n++) await make(clock.now());
  }
}

before(async () => {
  // At T0: the two test keys and the three config endpoints (synced at start-up) share an instant.
  t = await startTestApp(CONFIG, { clock });
  keys = await createTestKeys(t);
  const next = { ...CONFIG, providers: SLUGS.filter((s) => !REMOVED.includes(s)).map(provider) };
  await t.app.reload(validateConfig({ ...next, server: { port: 0 }, storage: { path: t.dbPath } }, 'test', {}));
  const post = (path: string, body: unknown) => fetch(`${t.url}${path}`, { method: 'POST', headers: keys.auth('admin'), body: JSON.stringify(body) }).then((res) => assert.equal(res.status, 201));
  await inRuns([4, 3, 1, 3], () => post('/v1/keys', { name: 'paged' }));
  let n = 0;
  await inRuns([4, 1, 3, 2], () => post('/v1/webhooks/endpoints', { url: `http://127.0.0.1:9/api/${n++}`, events: ['provider.degraded'] }));
  const providerIds = new Map(t.app.targets().map((x) => [x.providerSlug, x.providerId]));
  const slugs = [...providerIds.keys()];
  let made = 0;
  const cause = { rule: 'consecutive_failures', value: 3, threshold: 3, window: null, samples: 3, model: 'm1' };
  // Resolved, so the status engine has no open incident to carry on; two providers alternate so a provider filter also meets ties.
  await inRuns([5, 1, 4, 2], (at) =>
    t.app.db.kysely.transaction().execute((trx) => {
      const slug = slugs[made++ % 2]!;
      const incident: IncidentRecord = { id: prefixedId('inc'), providerId: providerIds.get(slug)!, status: 'resolved', severity: 'major_outage', scope: 'model', affectedModels: ['m1'], title: slug, cause, startedAt: at, updatedAt: at + MIN, resolvedAt: at + MIN };
      return saveIncident(trx, incident, true);
    }),
  );
});

after(() => t.stop());

type Row = { id: string; at: number };

/**
 * The documented order: by time, then by id, oldest or newest first. SQLite compares text
 * byte by byte, as `<` does for the ASCII ids here (localeCompare would not).
 */
function inOrder(rows: readonly Row[], direction: 'newest' | 'oldest'): string[] {
  const sign = direction === 'newest' ? -1 : 1;
  const sorted = [...rows].sort((a, b) => sign * (a.at - b.at || (a.id < b.id ? -1 : 1)));
  return sorted.map((row) => row.id);
}

/** The fixture has what the test is about: a run of equal times at least as long as any limit's page but the last. */
function assertTies(rows: readonly Row[]): void {
  const longest = Math.max(...rows.map((row) => rows.filter((other) => other.at === row.at).length));
  assert.ok(longest >= 4, 'a run of four rows at one instant');
  assert.ok(rows.length > 3 * 3, 'several pages at every limit but the largest');
}

/** Plain fetch: the preloaded checker (check-api-responses.mjs) already holds every answer to the document. */
const list =
  <T>(path: string, scope: 'read' | 'admin' = 'read', filter = ''): GetPage<T> =>
  async (query) => {
    const res = await fetch(`${t.url}${path}?${filter}${query}`, { headers: keys.auth(scope) });
    return { status: res.status, body: (await res.json()) as ListPage<T> };
  };
const byId = (item: { id: string }) => item.id;

/** A list's own cursor cut short, and cursors of the other lists' key shapes. */
async function assertCursorErrors<T>(get: GetPage<T>, foreign: readonly unknown[]): Promise<void> {
  const { body } = await get('limit=2');
  assert.ok(body.next_cursor);
  await assertPagingErrors(get, [body.next_cursor.slice(0, -1), ...foreign.map(encodeCursor)]);
}
const TIME_ID_SHAPES = ['a0', [T0], [String(T0), 'key_x'], [T0, 7], [T0, 'key_x', 1]];

test('GET /v1/keys: every key once, newest first and by id within an instant, at limits 1, 2, 3 and 100', async () => {
  const rows = await t.app.db.kysely.selectFrom('api_keys').select(['id', 'created_at as at']).execute();
  assertTies(rows);
  await assertPagesCover(list<{ id: string }>('/v1/keys', 'admin'), byId, inOrder(rows, 'newest'));
});

test('GET /v1/webhooks/endpoints: config and API endpoints once each, oldest first and by id within an instant', async () => {
  const rows = await t.app.db.kysely.selectFrom('webhook_endpoints').select(['id', 'created_at as at']).execute();
  assertTies(rows);
  assert.equal(rows.filter((row) => row.at === T0).length, 7, 'the config endpoints share T0 with four made through the API');
  await assertPagesCover(list<{ id: string }>('/v1/webhooks/endpoints', 'admin'), byId, inOrder(rows, 'oldest'));
});

test('GET /v1/incidents: every incident once, newest first and by id within an instant, also filtered by provider', async () => {
  const rows = await t.app.db.kysely.selectFrom('incidents').innerJoin('providers', 'providers.id', 'incidents.provider_id').select(['incidents.id', 'incidents.started_at as at', 'providers.slug']).execute();
  assertTies(rows);
  await assertPagesCover(list<{ id: string }>('/v1/incidents'), byId, inOrder(rows, 'newest'));
  const slug = rows[0]!.slug;
  await assertPagesCover(list<{ id: string }>('/v1/incidents', 'read', `provider=${slug}&`), byId, inOrder(rows.filter((row) => row.slug === slug), 'newest'));
});

test('GET /v1/providers: active providers by slug, and the removed ones too with include_inactive=true', async () => {
  const active = SLUGS.filter((s) => !REMOVED.includes(s));
  // Plain code-unit order, as SQLite's BINARY collation compares.
  const bySlug = (slugs: string[]) => [...slugs].sort((a, b) => (a < b ? -1 : 1));
  const key = (p: { slug: string; active: boolean }) => `${p.slug}:${p.active}`;
  await assertPagesCover(list<{ slug: string; active: boolean }>('/v1/providers'), key, bySlug(active).map((s) => `${s}:true`));
  await assertPagesCover(list<{ slug: string; active: boolean }>('/v1/providers', 'read', 'include_inactive=true&'), key, bySlug(SLUGS).map((s) => `${s}:${active.includes(s)}`));
});

test('each list: limit outside 1–100, not a whole number, or a cursor it never issued: 400 invalid_request', async () => {
  await assertCursorErrors(list('/v1/keys', 'admin'), TIME_ID_SHAPES);
  await assertCursorErrors(list('/v1/webhooks/endpoints', 'admin'), TIME_ID_SHAPES);
  await assertCursorErrors(list('/v1/incidents'), TIME_ID_SHAPES);
  await assertCursorErrors(list('/v1/providers'), [7, [T0, 'inc_x'], ['alpha']]);
});
