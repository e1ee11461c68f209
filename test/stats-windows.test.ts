import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { addResult, emptyAgg, mergeInto, outcomeOf, rateLimitRatio } from '../src/stats/aggregate.ts';
import { headlineOf, rates } from '../src/stats/metrics-object.ts';
import { DAY, HOUR, MINUTE, planSources, seriesStarts, WINDOW_NAMES, windowEndingAt, windowPlan } from '../src/stats/windows.ts';
import { probeResult, snapshot } from './helpers/metrics-db.ts';

const T0 = Date.UTC(2026, 0, 10);

test('planSources covers every instant of a range exactly once, from aligned rollups where it can', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 3 * DAY }), fc.integer({ min: 0, max: 2 * DAY }), fc.boolean(), (offset, length, hours) => {
      const from = T0 + offset;
      const to = from + length;
      const plan = planSources(from, to, hours);
      const spans = [...plan.raw, ...plan.minute, ...plan.hour].sort((a, b) => a[0] - b[0]);
      let at = from;
      for (const [start, end] of spans) {
        assert.equal(start, at, 'no gap and no overlap');
        assert.ok(end > start, 'no empty span');
        at = end;
      }
      assert.equal(at, length === 0 ? from : to);
      for (const [start, end] of plan.minute) assert.ok(start % MINUTE === 0 && end % MINUTE === 0);
      for (const [start, end] of plan.hour) assert.ok(start % HOUR === 0 && end % HOUR === 0);
      if (!hours) assert.equal(plan.hour.length, 0);
      // Raw rows only for the partial minutes at either end.
      assert.ok(plan.raw.length <= 2);
      for (const [start, end] of plan.raw) assert.ok(end - start < MINUTE || (plan.minute.length === 0 && plan.hour.length === 0 && end - start < 2 * MINUTE));
    }),
  );
});

test('windows and their series buckets', () => {
  const now = T0 + 10 * HOUR + 30 * MINUTE + 15_500;
  const cases = [
    { name: '1h', points: 61 },
    { name: '24h', points: 97 },
    { name: '7d', points: 169 },
  ] as const;
  for (const c of cases) {
    const range = windowEndingAt(c.name, now);
    const starts = seriesStarts(range);
    assert.equal(starts.length, c.points, c.name);
    assert.equal(starts[0], Math.floor(range.from / range.bucketMs) * range.bucketMs, c.name);
    assert.ok(starts.at(-1)! < now && starts.at(-1)! + range.bucketMs >= now);
  }
  const aligned = windowEndingAt('1h', T0 + 5 * HOUR);
  assert.equal(seriesStarts(aligned).length, 60, 'an aligned window has no partial bucket');
});

test('windowPlan: cached parts are whole, closed and disjoint, and with the open part cover the window once', () => {
  const grace = 5 * MINUTE;
  fc.assert(
    fc.property(fc.constantFrom(...WINDOW_NAMES), fc.integer({ min: 0, max: 3 * DAY }), (name, offset) => {
      const range = windowEndingAt(name, T0 + offset);
      const plan = windowPlan(range, grace);
      const spans = [...(plan.hours ? [plan.hours] : []), ...plan.minutes, ...plan.open].sort((a, b) => a[0] - b[0]);
      let at = range.from;
      for (const [start, end] of spans) {
        assert.equal(start, at, 'no gap and no overlap');
        assert.ok(end > start);
        at = end;
      }
      assert.equal(at, range.to);
      for (const [start, end] of [...plan.minutes, ...(plan.hours ? [plan.hours] : [])]) {
        assert.ok(start % MINUTE === 0 && end % MINUTE === 0 && end <= range.to - grace, 'cached parts are whole, closed minutes');
      }
      if (plan.hours) assert.ok(plan.hours[0] % HOUR === 0 && plan.hours[1] % HOUR === 0);
      if (name === '1h') assert.equal(plan.hours, undefined, 'the 1h window has a per-minute series');
      // What is read per request: under a minute of raw rows at the start, and the last minutes.
      assert.ok(plan.open.length <= 2);
      assert.ok(plan.open.at(-1)![1] - plan.open.at(-1)![0] < grace + MINUTE);
    }),
  );
  const now = T0 + 10 * HOUR + 3 * MINUTE + 500;
  assert.deepEqual(windowPlan(windowEndingAt('7d', now), grace), {
    hours: [T0 - 7 * DAY + 11 * HOUR, T0 + 9 * HOUR],
    minutes: [
      [T0 - 7 * DAY + 10 * HOUR + 4 * MINUTE, T0 - 7 * DAY + 11 * HOUR],
      [T0 + 9 * HOUR, T0 + 9 * HOUR + 58 * MINUTE],
    ],
    open: [
      [now - 7 * DAY, T0 - 7 * DAY + 10 * HOUR + 4 * MINUTE],
      [T0 + 9 * HOUR + 58 * MINUTE, now],
    ],
  });
});

test('rates follow DESIGN.md §5: misconfiguration is neither success nor failure, rate limits are their own share', () => {
  const agg = emptyAgg();
  const outcomes = [
    ...Array(6).fill({ ok: true }),
    { errorClass: 'timeout' },
    { errorClass: 'server_error' },
    { errorClass: 'rate_limited' },
    { errorClass: 'quota_exceeded' },
    { errorClass: 'auth_error' },
    { errorClass: 'client_error' },
  ];
  outcomes.forEach((o, i) => addResult(agg, probeResult({ startedAt: T0 + i, ...o })));
  assert.deepEqual(rates(agg), { availability: 6 / 8, error_rate: 1 - 6 / 8, rate_limited_rate: 2 / 12 });
  assert.deepEqual(rates(emptyAgg()), { availability: null, error_rate: null, rate_limited_rate: null });
  const onlyLimited = addResult(emptyAgg(), probeResult({ startedAt: T0, errorClass: 'rate_limited' }));
  assert.deepEqual(rates(onlyLimited), { availability: null, error_rate: null, rate_limited_rate: 1 });
  assert.equal(outcomeOf({ ok: false, errorClass: null }), 'bad_response');
});

test('headline numbers: null summaries without samples, latest and lowest rate-limit snapshot', () => {
  const empty = headlineOf(emptyAgg());
  assert.equal(empty.latency_ms, null);
  assert.equal(empty.ttft_ms, null);
  assert.deepEqual(empty.rate_limit, { latest: null, latest_at: null, lowest_ratio: null });

  const a = addResult(emptyAgg(), probeResult({ startedAt: T0 + 2000, latencyMs: 300, ttftMs: null, rateLimit: snapshot(40, 100) }));
  const b = addResult(emptyAgg(), probeResult({ startedAt: T0 + 1000, latencyMs: 100, ttftMs: 30, rateLimit: snapshot(90, 100, 5, 1000) }));
  const both = mergeInto(mergeInto(emptyAgg(), a), b);
  const headline = headlineOf(both);
  assert.equal(headline.latency_ms!.samples, 2);
  assert.equal(headline.latency_ms!.mean, 200);
  assert.equal(headline.latency_ms!.max, 300);
  assert.equal(headline.ttft_ms!.samples, 1, 'a success without a first token adds no TTFT sample');
  assert.deepEqual(headline.rate_limit.latest, snapshot(40, 100), 'the newest snapshot, whatever the merge order');
  assert.equal(headline.rate_limit.lowest_ratio, 5 / 1000, 'tokens can be the scarcer limit');
  assert.equal(rateLimitRatio(snapshot(3, 0)), null, 'a zero limit says nothing');
});

test('rate-limit resets are shown as ISO instants, like every other time in the API', () => {
  const reset = Date.UTC(2026, 10, 26, 16, 0, 0);
  const agg = addResult(emptyAgg(), probeResult({ startedAt: T0, latencyMs: 100, rateLimit: { ...snapshot(5, 10), requests_reset_at: reset } }));
  const latest = headlineOf(agg).rate_limit.latest;
  assert.equal(latest?.requests_reset_at, '2026-11-26T16:00:00.000Z');
  assert.equal(latest?.tokens_reset_at, null);
});
