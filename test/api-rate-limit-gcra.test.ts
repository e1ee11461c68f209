import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRateLimiter, gcra, monthPeriod } from '../src/http/rate-limit.ts';
import { createHeaderTexts, rateLimitHeaders, retryAfterSeconds } from '../src/http/rate-limit-headers.ts';

const MIN = 60_000;

test('a burst of exactly the limit passes; the next is refused until one interval has passed', () => {
  const limiter = createRateLimiter();
  const t0 = 1_000_000;
  for (let i = 0; i < 10; i++) {
    const d = limiter.take('k', t0, 10);
    assert.ok(d.allowed, `request ${i + 1}`);
    assert.equal(d.remaining, 9 - i);
  }
  const refused = limiter.take('k', t0, 10);
  assert.equal(refused.allowed, false);
  assert.equal(refused.retryAfterMs, 6000); // 60 s / 10
  assert.equal(refused.resetMs, MIN);
  assert.equal(limiter.take('k', t0 + 5999, 10).allowed, false);
  assert.ok(limiter.take('k', t0 + 6000, 10).allowed);
  assert.equal(limiter.take('k', t0 + 6000, 10).allowed, false);
});

test('requests spread evenly at the limit are never refused, for an hour', () => {
  let tat: number | undefined;
  for (let t = 0; t < 3_600_000; t += MIN / 120) {
    const d = gcra(tat, t, 120, MIN);
    assert.ok(d.allowed, `refused at ${t} ms`);
    tat = d.tat;
  }
});

test('no double burst at a window boundary, unlike a fixed window', () => {
  const limiter = createRateLimiter();
  // A fixed window would allow 10 at 59.9 s and 10 more at 60.0 s.
  let accepted = 0;
  for (let i = 0; i < 10; i++) accepted += limiter.take('k', 59_900, 10).allowed ? 1 : 0;
  for (let i = 0; i < 10; i++) accepted += limiter.take('k', 60_000, 10).allowed ? 1 : 0;
  assert.equal(accepted, 10);
});

test('refused requests cost nothing, and keys are independent', () => {
  const limiter = createRateLimiter();
  assert.ok(limiter.take('a', 0, 1).allowed);
  for (let i = 0; i < 50; i++) assert.equal(limiter.take('a', 0, 1).allowed, false);
  assert.ok(limiter.take('a', MIN, 1).allowed);
  assert.ok(limiter.take('b', 0, 1).allowed);
});

test('prune drops keys that have fully recovered', () => {
  const limiter = createRateLimiter();
  limiter.take('a', 0, 2);
  limiter.prune(MIN);
  // After pruning, a full burst is available again (it would be anyway: state was recovered).
  assert.ok(limiter.take('a', MIN, 2).allowed && limiter.take('a', MIN, 2).allowed);
});

test('month periods are UTC calendar months, including December and leap February', () => {
  const cases: Array<[string, string, string]> = [
    ['2026-11-26T16:00:00Z', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
    ['2026-12-31T23:59:59Z', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2028-02-29T12:00:00Z', '2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z'],
    ['2027-01-01T00:00:00Z', '2027-01-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z'],
  ];
  for (const [now, start, end] of cases) {
    const p = monthPeriod(Date.parse(now));
    assert.deepEqual([new Date(p.start).toISOString(), new Date(p.end).toISOString()], [start, end], now);
  }
});

test('headers: classic X-RateLimit-* for the minute, IETF pair for both policies, quota on a quota refusal', () => {
  const now = Date.parse('2026-11-30T00:00:00Z');
  const period = monthPeriod(now);
  const rate = gcra(undefined, now, 60, MIN);
  const quota = { limit: 1000, used: 10, periodStart: period.start, periodEnd: period.end };
  const h = rateLimitHeaders(rate, quota, now);
  assert.equal(h['x-ratelimit-limit'], '60');
  assert.equal(h['x-ratelimit-remaining'], '59');
  assert.equal(h['x-ratelimit-reset'], String(Math.ceil((now + 1000) / 1000)));
  assert.equal(h['ratelimit-policy'], '"minute";q=60;w=60, "month";q=1000;w=2592000');
  assert.equal(h.ratelimit, '"minute";r=59;t=1, "month";r=990;t=86400');
  const q = rateLimitHeaders(rate, { ...quota, used: 1000 }, now, true);
  assert.equal(q['x-ratelimit-limit'], '1000');
  assert.equal(q['x-ratelimit-remaining'], '0');
  assert.equal(q['x-ratelimit-reset'], String(period.end / 1000));
  assert.equal(retryAfterSeconds(1), '1');
  assert.equal(retryAfterSeconds(0), '1');
  assert.equal(retryAfterSeconds(6001), '7');
});

test('texts reused between responses follow every change of key, limit and second', () => {
  const texts = createHeaderTexts();
  const now = Date.UTC(2026, 10, 30, 0, 0, 0);
  const period = monthPeriod(now);
  const quota = (limit: number) => ({ limit, used: 1, periodStart: period.start, periodEnd: period.end });
  const calls: Array<[number, number, number]> = [
    [60, 1000, now],
    [60, 1000, now],
    [120, 1000, now],
    [60, 5000, now + 1500],
    [60, 1000, now + 1500],
  ];
  for (const [limit, quotaLimit, at] of calls) {
    const rate = gcra(undefined, at, limit, MIN);
    assert.deepEqual(rateLimitHeaders(rate, quota(quotaLimit), at, false, texts), rateLimitHeaders(rate, quota(quotaLimit), at), `${limit}/${quotaLimit} at ${at}`);
  }
});

test('a clock set back by more than two periods starts the key afresh; a small step back keeps its state', () => {
  const limiter = createRateLimiter();
  const t0 = 10 * MIN;
  for (let i = 0; i < 10; i++) limiter.take('k', t0, 10);
  assert.equal(limiter.take('k', t0 - 1000, 10).allowed, false, 'a one-second step back must not hand out a fresh burst');
  // An hour back: without the reset the key would be refused for that whole hour.
  assert.ok(limiter.take('k', t0 - 60 * MIN, 10).allowed);
});
