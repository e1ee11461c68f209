import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { apiKeyDigest, displayPrefix, generateApiKey, hashApiKey, hashesEqual, hexDigest, isWellFormedApiKey, KEY_PREFIX } from '../src/lib/api-key.ts';

test('a key is cp_live_ + 32 base62 random characters + a 6-character checksum', () => {
  const { key, prefix, hash } = generateApiKey();
  assert.match(key, /^cp_live_[0-9A-Za-z]{38}$/);
  assert.equal(prefix, key.slice(0, KEY_PREFIX.length + 6));
  assert.equal(hash, createHash('sha256').update(key).digest('hex'));
  assert.ok(isWellFormedApiKey(key));
  // 32 base62 characters = 32 × log2(62) ≈ 190 bits, well over the 128 required.
  assert.ok(32 * Math.log2(62) >= 128);
});

test('keys do not repeat and use the whole alphabet', () => {
  const keys = new Set<string>();
  const chars = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const { key } = generateApiKey();
    keys.add(key);
    for (const c of key.slice(KEY_PREFIX.length, KEY_PREFIX.length + 32)) chars.add(c);
  }
  assert.equal(keys.size, 2000);
  assert.equal(chars.size, 62);
});

test('the checksum tells a key from a typo or noise without a database', () => {
  const { key } = generateApiKey();
  const body = key.slice(0, -6);
  const flipped = key.slice(0, 20) + (key[20] === 'a' ? 'b' : 'a') + key.slice(21);
  const cases: Array<[string, boolean]> = [
    [key, true],
    [flipped, false],
    [`${body}000000`, false],
    [key.replace('cp_live_', 'cp_test_'), false],
    [key.slice(0, -1), false],
    [`${key}x`, false],
    ['', false],
    ['cp_live_', false],
    [`${key.slice(0, 30)}-${key.slice(31)}`, false],
  ];
  for (const [text, expected] of cases) assert.equal(isWellFormedApiKey(text), expected, text);
});

test('the random source is injectable and deterministic given the same bytes', () => {
  const bytes = (n: number) => Buffer.alloc(n, 7);
  assert.equal(generateApiKey(bytes).key, generateApiKey(bytes).key);
  assert.equal(displayPrefix(generateApiKey(bytes).key), 'cp_live_777777');
});

test('hash comparison is exact and rejects empty or differently sized digests', () => {
  const a = hashApiKey('cp_live_a');
  assert.ok(hashesEqual(a, a));
  assert.ok(!hashesEqual(a, hashApiKey('cp_live_b')));
  assert.ok(!hashesEqual(a, a.slice(0, 32)));
  assert.ok(!hashesEqual('', ''));
});

test('the guard\'s digest is the stored hash as 32 bytes, and converts back to it exactly', () => {
  for (const { key, hash } of [generateApiKey(), generateApiKey(), generateApiKey((n) => Buffer.alloc(n, 61))]) {
    const digest = apiKeyDigest(key);
    assert.equal(digest.length, 32);
    assert.deepEqual(Buffer.from(digest, 'latin1'), Buffer.from(hash, 'hex'));
    assert.equal(hexDigest(digest), hash);
  }
});
