import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { H3Event } from 'h3';
import { requestIdOf } from '../src/http/context.ts';
import { pooledRandomBytes, prefixedId } from '../src/lib/ids.ts';

test('prefixed ids from the pooled source keep their shape and do not repeat across pool refills', () => {
  // 16 characters take 32 bytes: 5,000 ids span about 20 refills of the 8 KiB pool.
  const ids = Array.from({ length: 5000 }, () => prefixedId('req', 16));
  for (const id of ids) assert.match(id, /^req_[0-9A-Za-z]{16}$/);
  assert.equal(new Set(ids).size, ids.length);
});

test('bytes handed out by the pool are never overwritten by a refill', () => {
  const first = pooledRandomBytes(64);
  const copy = Buffer.from(first);
  const later: Buffer[] = [];
  for (let i = 0; i < 1000; i++) later.push(pooledRandomBytes(64));
  assert.deepEqual(first, copy);
  // No two slices share bytes: every draw is a fresh stretch of CSPRNG output.
  assert.equal(new Set(later.map((b) => b.toString('hex'))).size, later.length);
  assert.equal(pooledRandomBytes(20_000).length, 20_000);
});

test('request ids keep their shape, are distinct per request and stable within one', () => {
  const events = Array.from({ length: 1000 }, () => ({ context: {} }) as unknown as H3Event);
  const ids = events.map((event) => requestIdOf(event));
  for (const id of ids) assert.match(id, /^req_[0-9A-Za-z]{16}$/);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(requestIdOf(events[0]!), ids[0]);
});
