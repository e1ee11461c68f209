import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRateLimit, parseResetDuration } from '../src/probe/rate-limit.ts';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

test('reset durations as OpenAI, Groq and Together send them', () => {
  const cases: Array<[string, number | null]> = [
    ['1s', 1000],
    ['6m0s', 360_000],
    ['250ms', 250],
    ['2h3m4.5s', 7_384_500],
    ['59.54s', 59_540],
    ['7.66s', 7660],
    ['20', 20_000],
    ['-1s', null],
    ['soon', null],
    ['1x', null],
    ['', null],
  ];
  for (const [text, expected] of cases) assert.equal(parseResetDuration(text), expected, text);
});

test('OpenAI headers (durations become absolute instants)', () => {
  const snapshot = parseRateLimit(
    {
      'x-ratelimit-limit-requests': '10000',
      'x-ratelimit-remaining-requests': '9999',
      'x-ratelimit-reset-requests': '6ms',
      'x-ratelimit-limit-tokens': '30000000',
      'x-ratelimit-remaining-tokens': '29999989',
      'x-ratelimit-reset-tokens': '0s',
    },
    NOW,
  );
  assert.deepEqual(snapshot, {
    requests_limit: 10000,
    requests_remaining: 9999,
    requests_reset_at: NOW + 6,
    tokens_limit: 30_000_000,
    tokens_remaining: 29_999_989,
    tokens_reset_at: NOW,
    retry_after_ms: null,
  });
});

test('Groq headers on a 429 (per-day requests, minute tokens, retry-after)', () => {
  const snapshot = parseRateLimit(
    {
      'retry-after': '2',
      'x-ratelimit-limit-requests': '14400',
      'x-ratelimit-limit-tokens': '18000',
      'x-ratelimit-remaining-requests': '14370',
      'x-ratelimit-remaining-tokens': '17997',
      'x-ratelimit-reset-requests': '2m59.56s',
      'x-ratelimit-reset-tokens': '7.66s',
    },
    NOW,
  );
  assert.equal(snapshot?.requests_reset_at, NOW + 179_560);
  assert.equal(snapshot?.tokens_reset_at, NOW + 7660);
  assert.equal(snapshot?.retry_after_ms, 2000);
});

test('Anthropic headers (RFC 3339 resets)', () => {
  const snapshot = parseRateLimit(
    {
      'anthropic-ratelimit-requests-limit': '4000',
      'anthropic-ratelimit-requests-remaining': '3999',
      'anthropic-ratelimit-requests-reset': '2026-11-26T12:00:01Z',
      'anthropic-ratelimit-input-tokens-limit': '400000',
      'anthropic-ratelimit-input-tokens-remaining': '399000',
      'anthropic-ratelimit-input-tokens-reset': '2026-11-26T12:00:00.500+00:00',
      'anthropic-ratelimit-tokens-limit': '480000',
      'anthropic-ratelimit-tokens-remaining': '479000',
      'anthropic-ratelimit-tokens-reset': '2026-11-26T12:00:02Z',
      'retry-after': '30',
    },
    NOW,
  );
  assert.deepEqual(snapshot, {
    requests_limit: 4000,
    requests_remaining: 3999,
    requests_reset_at: NOW + 1000,
    tokens_limit: 480_000,
    tokens_remaining: 479_000,
    tokens_reset_at: NOW + 2000,
    retry_after_ms: 30_000,
  });
});

test('Anthropic without the combined tokens family falls back to input tokens', () => {
  const snapshot = parseRateLimit({ 'anthropic-ratelimit-input-tokens-limit': '50000', 'anthropic-ratelimit-input-tokens-remaining': '49000' }, NOW);
  assert.equal(snapshot?.tokens_limit, 50_000);
  assert.equal(snapshot?.requests_limit, null);
});

test('Azure: -1 and retry-after-ms', () => {
  const snapshot = parseRateLimit({ 'x-ratelimit-remaining-requests': '-1', 'x-ratelimit-remaining-tokens': '-1', 'retry-after-ms': '1500', 'retry-after': '2' }, NOW);
  assert.equal(snapshot?.requests_remaining, null);
  assert.equal(snapshot?.tokens_remaining, null);
  assert.equal(snapshot?.retry_after_ms, 1500);
});

test('retry-after as an HTTP date', () => {
  const snapshot = parseRateLimit({ 'retry-after': new Date(NOW + 5000).toUTCString() }, NOW);
  assert.equal(snapshot?.retry_after_ms, 5000);
});

test('nonsense becomes null, never NaN; no headers give null', () => {
  const snapshot = parseRateLimit(
    { 'x-ratelimit-limit-requests': 'lots', 'x-ratelimit-remaining-requests': '-5', 'x-ratelimit-reset-requests': 'whenever', 'anthropic-ratelimit-tokens-reset': 'not a date', 'retry-after': 'NaN', 'x-ratelimit-limit-tokens': '100' },
    NOW,
  );
  assert.ok(snapshot);
  for (const value of Object.values(snapshot)) assert.ok(value === null || Number.isFinite(value));
  assert.equal(snapshot.tokens_limit, 100);
  assert.equal(snapshot.requests_limit, null);
  assert.equal(snapshot.retry_after_ms, null);
  assert.equal(parseRateLimit({ 'content-type': 'text/event-stream' }, NOW), null);
});
