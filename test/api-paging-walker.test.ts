import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertPagesCover, assertPagingErrors, type GetPage } from './helpers/paging.ts';

/**
 * The paging tests are only as good as the walker they share (helpers/paging.ts). Here it meets
 * a list served from memory, correct and then with the bugs a pager really gets: each must fail
 * the walk, or a paging test could pass over a broken list.
 */
const ITEMS = Array.from({ length: 10 }, (_, i) => `item${i}`);

interface Bugs {
  /** The cursor points one item back: the next page repeats it. */
  repeat?: boolean;
  /** The cursor points one item on: the next page misses one. */
  skip?: boolean;
  /** has_more is worked out as `rows >= limit`: one empty page too many when the list ends on a full page. */
  eagerHasMore?: boolean;
  /** The last page still hands out a cursor. */
  cursorAtEnd?: boolean;
  /** The cursor starts over: the walk never ends. */
  loop?: boolean;
  /** Serves the items in the order they were written, not the documented one. */
  order?: string[];
  /** Takes any cursor, garbage included, as the start. */
  lenientCursor?: boolean;
  /** Accepts a limit over 100. */
  lenientLimit?: boolean;
}

function memoryList(bugs: Bugs = {}): GetPage<string> {
  const items = bugs.order ?? ITEMS;
  return async (query) => {
    const params = new URLSearchParams(query);
    const limit = Number(params.get('limit') ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || (limit > 100 && !bugs.lenientLimit)) return bad('limit');
    const raw = params.get('cursor');
    let start = 0;
    if (raw !== null) {
      const decoded = Number(Buffer.from(raw, 'base64url').toString('utf8'));
      if (!Number.isInteger(decoded) || raw === '') {
        if (!bugs.lenientCursor) return bad('cursor');
      } else start = decoded;
    }
    const data = items.slice(start, start + limit);
    const has_more = bugs.eagerHasMore ? data.length >= limit : start + limit < items.length;
    let next = start + data.length + (bugs.repeat ? -1 : 0) + (bugs.skip ? 1 : 0);
    if (bugs.loop) next = 0;
    const cursor = Buffer.from(String(next)).toString('base64url');
    return { status: 200, body: { data, has_more, next_cursor: has_more || bugs.cursorAtEnd ? cursor : null } };
  };
}

function bad(parameter: string) {
  return { status: 400, body: { error: 'invalid_request', message: `query parameter "${parameter}": no`, request_id: 'req_x' } as any };
}

test('a correct list passes the walk and the error checks', async () => {
  await assertPagesCover(memoryList(), (x) => x, ITEMS);
  await assertPagingErrors(memoryList(), [Buffer.from('"x"').toString('base64url')]);
});

test('each bug a pager can have fails the walk', async () => {
  const cases: [string, Bugs][] = [
    ['a repeated item', { repeat: true }],
    ['a skipped item', { skip: true }],
    ['has_more on the last page', { eagerHasMore: true }],
    ['a cursor on the last page', { cursorAtEnd: true }],
    ['a walk that never ends', { loop: true }],
    ['the wrong order', { order: [...ITEMS].reverse() }],
  ];
  for (const [name, bugs] of cases) await assert.rejects(assertPagesCover(memoryList(bugs), (x) => x, ITEMS), assert.AssertionError, name);
  await assert.rejects(assertPagingErrors(memoryList({ lenientCursor: true }), []), assert.AssertionError, 'a garbage cursor taken as the start');
  await assert.rejects(assertPagingErrors(memoryList({ lenientLimit: true }), []), assert.AssertionError, 'limit=101 accepted');
});
