import assert from 'node:assert/strict';

/**
 * The list contract of DESIGN §8, checked against a real list: `{data, has_more, next_cursor}`,
 * limit 1–100, an opaque cursor passed back unchanged, a stable documented order. A test gives a
 * `get` that asks its list with the query it is handed (`limit=…&cursor=…`) plus any filter:
 *
 *   const models = (query: string) => get(`/v1/models?include_inactive=true&${query}`);
 *   await assertPagesCover(models, (m) => m.slug, expectedSlugs);
 *   await assertPagingErrors(models, [encodeCursor(42)]);
 */
export interface ListPage<T> {
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

export type GetPage<T> = (query: string) => Promise<{ status: number; body: ListPage<T> }>;

/** The limits every paged list is walked at: the smallest, two that leave a ragged last page, the largest. */
export const WALK_LIMITS = [1, 2, 3, 100] as const;

/**
 * Reads a list from its first page to its last, holding each page to the contract: at most
 * `limit` items, `has_more` exactly when `next_cursor` is set, and a full page whenever more
 * follows (a short page before the end would mean rows went missing). Gives up after `maxPages`
 * so a cursor that never ends fails instead of hanging. `start` is a cursor to read on from.
 */
export async function walkPages<T>(get: GetPage<T>, limit: number, maxPages: number, start: string | null = null): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor = start;
  for (let pages = 1; pages <= maxPages; pages++) {
    const { status, body }: { status: number; body: ListPage<T> } = await get(`limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
    assert.equal(status, 200, `limit=${limit}, page ${pages}: status`);
    assert.ok(body.data.length <= limit, `limit=${limit}, page ${pages}: ${body.data.length} items`);
    assert.equal(body.has_more, body.next_cursor !== null, `limit=${limit}, page ${pages}: has_more is ${body.has_more} but next_cursor is ${body.next_cursor}`);
    items.push(...body.data);
    if (!body.has_more) return { items, pages };
    assert.equal(body.data.length, limit, `limit=${limit}, page ${pages}: a page with more after it is full`);
    cursor = body.next_cursor;
  }
  assert.fail(`limit=${limit}: still has_more after ${maxPages} pages`);
}

/**
 * Walks the list at each limit and checks it serves exactly `expected` (keys, in the documented
 * order): a repeated, skipped or reordered item fails, and so does a last page that is not
 * where it should be (has_more true on the real last page means one empty page too many).
 */
export async function assertPagesCover<T>(get: GetPage<T>, key: (item: T) => unknown, expected: readonly unknown[], limits: readonly number[] = WALK_LIMITS): Promise<void> {
  for (const limit of limits) {
    const pagesNeeded = Math.max(1, Math.ceil(expected.length / limit));
    const { items, pages } = await walkPages(get, limit, pagesNeeded + 1);
    assert.deepEqual(items.map(key), expected, `limit=${limit}: every item once, in order`);
    assert.equal(pages, pagesNeeded, `limit=${limit}: has_more turns false on the last page, not before or after`);
  }
}

/**
 * The 400 invalid_request a list owes for a limit outside 1–100 or not a whole number, and for a
 * cursor it never issued: garbage, empty, JSON of no key's shape, plus `tampered` (cursors of
 * this list cut short or of another list's key shape, which only the caller can make).
 */
export async function assertPagingErrors(get: GetPage<unknown>, tampered: readonly string[]): Promise<void> {
  const foreign = [null, {}, [], true].map((value) => Buffer.from(JSON.stringify(value)).toString('base64url'));
  const limits = ['0', '101', '-1', '1.5', 'abc', '', '1e9'].map((limit) => [`limit=${limit}`, 'limit']);
  const cursors = ['garbage!', '', '%00', 'bm90IGpzb24', ...foreign, ...tampered].map((cursor) => [`cursor=${encodeURIComponent(cursor)}`, 'cursor']);
  for (const [query, parameter] of [...limits, ...cursors] as [string, string][]) {
    const { status, body } = (await get(query)) as { status: number; body: unknown };
    assert.equal(status, 400, `${query}: status`);
    const error = body as { error?: string; message?: string };
    assert.equal(error.error, 'invalid_request', `${query}: error code`);
    assert.ok(error.message?.includes(`"${parameter}"`), `${query}: the message names the parameter: ${error.message}`);
  }
}
