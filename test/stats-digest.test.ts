import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import tdigest from 'tdigest';
import { addValue, compact, digestOf, digestWeight, emptyDigest, fromUnit, MAX_CENTROIDS, mergeDigests, quantiles, quantilesOfParts, toUnit, type Digest } from '../src/stats/digest.ts';
import { decodeDigest, encodeDigest } from '../src/stats/digest-codec.ts';
import { seededRandom } from './helpers/metrics-db.ts';
import { rankError } from './helpers/rank.ts';

const random = seededRandom(2026);
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const DISTRIBUTIONS = {
  'log-normal': () => Math.exp(6 + 0.6 * gaussian()),
  // 90 % fast answers around 250 ms, 10 % very slow ones around 13 s.
  bimodal: () => (random() < 0.9 ? Math.exp(5.5 + 0.3 * gaussian()) : Math.exp(9.5 + 0.4 * gaussian())),
};

/**
 * The claim of DESIGN.md §5: percentiles from merged stored digests of a 7-day window are within
 * 1 % rank error of an exact sort of the same raw values. Each hour is digested value by value
 * (as the rollup stage does), serialized, read back and merged, as a window read does.
 */
for (const [name, draw] of Object.entries(DISTRIBUTIONS)) {
  for (const perHour of [120, 720]) {
    test(`${name}, 7 days at ${perHour} probes an hour: p50/p90/p95/p99 within 1% rank error`, () => {
      const all: number[] = [];
      const stored: Uint8Array[] = [];
      for (let hour = 0; hour < 168; hour++) {
        let digest = emptyDigest();
        for (let i = 0; i < perHour; i++) {
          const value = draw();
          all.push(value);
          digest = addValue(digest, value);
        }
        stored.push(encodeDigest(digest));
      }
      const merged = mergeDigests(stored.map(decodeDigest));
      assert.equal(digestWeight(merged), all.length, 'no value is lost or counted twice');
      assert.ok(merged.units.length <= MAX_CENTROIDS);
      all.sort((a, b) => a - b);
      const ps = [0.5, 0.9, 0.95, 0.99];
      const estimates = quantiles(merged, ps)!;
      ps.forEach((p, i) => {
        const error = rankError(all, estimates[i]!, p);
        assert.ok(Math.abs(error) <= 0.01, `p${p * 100}: estimate ${estimates[i]} has rank error ${error}`);
      });
    });
  }
}

test('a value survives the log-unit rounding within 0.05 %', () => {
  for (const ms of [0, 0.4, 3, 87.5, 250, 1234.5, 30_000, 600_000]) {
    const back = fromUnit(toUnit(ms));
    assert.ok(Math.abs(back - ms) <= ms * 0.0005 + 0.0005, `${ms} → ${back}`);
  }
  assert.equal(toUnit(-5), 0, 'a negative duration is a clock glitch and reads as 0');
});

test('serialization round-trips any digest exactly', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: 0, max: 120_000, noNaN: true }), { maxLength: 600 }), (values) => {
      const digest = digestOf(values);
      const bytes = encodeDigest(digest);
      assert.deepEqual(decodeDigest(bytes), digest);
      assert.deepEqual(encodeDigest(decodeDigest(bytes)), bytes);
    }),
  );
  assert.deepEqual(decodeDigest(null), emptyDigest());
  assert.deepEqual(decodeDigest(encodeDigest(emptyDigest())), emptyDigest());
  const heavy: Digest = { units: [0, 5000, 2 ** 40], counts: [2 ** 35, 1, 7] };
  assert.deepEqual(decodeDigest(encodeDigest(heavy)), heavy);
});

test('a damaged or unknown encoding is refused, not misread', () => {
  const bytes = encodeDigest(digestOf([100, 200, 300]));
  assert.throws(() => decodeDigest(bytes.subarray(0, bytes.length - 1)), /truncated/);
  assert.throws(() => decodeDigest(Uint8Array.from([9, 0])), /version 9/);
});

test('the same values in the same order give byte-identical digests (rebuild = live)', () => {
  const values = Array.from({ length: 5000 }, () => DISTRIBUTIONS.bimodal());
  const oneByOne = values.reduce((digest, value) => decodeDigest(encodeDigest(addValue(digest, value))), emptyDigest());
  assert.deepEqual(encodeDigest(oneByOne), encodeDigest(digestOf(values)));
});

test('an hour of one probe a minute stays exact and small', () => {
  const values = Array.from({ length: 60 }, () => DISTRIBUTIONS['log-normal']());
  const digest = digestOf(values);
  assert.equal(digest.units.length, new Set(values.map(toUnit)).size, 'below the compaction threshold every distinct value is its own centroid');
  assert.equal(digestWeight(digest), 60);
  assert.ok(encodeDigest(digest).length < 200, `${encodeDigest(digest).length} bytes`);
  const sorted = [...values].sort((a, b) => a - b);
  const [min, max] = quantiles(digest, [0, 1])!;
  assert.ok(Math.abs(min! - sorted[0]!) <= sorted[0]! * 0.0005);
  assert.ok(Math.abs(max! - sorted.at(-1)!) <= sorted.at(-1)! * 0.0005);
});

test('compaction and merging keep every unit of weight and the order of centroids', () => {
  fc.assert(
    fc.property(fc.array(fc.array(fc.double({ min: 0, max: 60_000, noNaN: true }), { maxLength: 400 }), { maxLength: 12 }), (groups) => {
      const digests = groups.map(digestOf);
      const merged = mergeDigests(digests);
      assert.equal(digestWeight(merged), groups.reduce((n, g) => n + g.length, 0));
      for (let i = 1; i < merged.units.length; i++) assert.ok(merged.units[i - 1]! < merged.units[i]!);
      const squeezed = compact(merged);
      assert.equal(digestWeight(squeezed), digestWeight(merged));
    }),
  );
  assert.equal(quantiles(emptyDigest(), [0.5]), undefined);
});

test('quantiles follow the npm tdigest package exactly (the package is the oracle)', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: 0, max: 60_000, noNaN: true }), { minLength: 1, maxLength: 3000 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }), (values, ps) => {
      const digest = digestOf(values);
      // The package holds the same centroids (positions in log units); K = 0 keeps it from
      // re-compressing them, so only its quantile rule is compared.
      const oracle = new tdigest.TDigest(0.01, 0);
      digest.units.forEach((unit, i) => oracle.push_centroid({ mean: unit, n: digest.counts[i]! }));
      const expected = oracle.percentile([...ps]).map(fromUnit);
      const got = quantiles(digest, ps)!;
      got.forEach((value, i) => assert.ok(Math.abs(value - expected[i]!) <= 1e-9 * Math.max(1, expected[i]!), `p=${ps[i]}: ${value} vs ${expected[i]}`));
    }),
  );
});

/** The union by brute force: every position's weights added up, positions sorted. */
function referenceUnion(parts: readonly Digest[]): Digest {
  const counts = new Map<number, number>();
  for (const part of parts) part.units.forEach((unit, i) => counts.set(unit, (counts.get(unit) ?? 0) + part.counts[i]!));
  const units = [...counts.keys()].sort((a, b) => a - b);
  return { units, counts: units.map((unit) => counts.get(unit)!) };
}

test('an unbounded merge is the union of the centroids, whatever the order and sizes of the parts', () => {
  const group = fc.array(fc.double({ min: 0, max: 60_000, noNaN: true }), { maxLength: 500 });
  fc.assert(
    fc.property(fc.array(group, { maxLength: 14 }), (groups) => {
      const digests = groups.map(digestOf);
      const union = referenceUnion(digests);
      assert.deepEqual(mergeDigests(digests, { bounded: false }), digests.some((d) => d.units.length > 0) ? union : emptyDigest());
      assert.deepEqual(mergeDigests([...digests].reverse(), { bounded: false }), mergeDigests(digests, { bounded: false }));
    }),
  );
});

test('quantiles of parts read without merging them equal quantiles of their merge, to the bit', () => {
  const group = fc.array(fc.double({ min: 0, max: 60_000, noNaN: true }), { maxLength: 800 });
  const ps = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 });
  fc.assert(
    fc.property(fc.array(group, { maxLength: 10 }), ps, (groups, wanted) => {
      // Compacted parts too: a cached window holds compacted digests, open minutes hold exact ones.
      const digests = groups.map((values, i) => (i % 2 === 0 ? compact(digestOf(values)) : digestOf(values)));
      const merged = mergeDigests(digests, { bounded: false });
      assert.deepEqual(quantilesOfParts(digests, wanted), quantiles(merged, wanted));
    }),
  );
  // The walk must also stop right on a centroid's middle and at both ends.
  const two: Digest[] = [
    { units: [10, 20, 30], counts: [2, 2, 2] },
    { units: [20, 40], counts: [2, 4] },
  ];
  for (const p of [0, 1 / 12, 0.25, 0.5, 0.75, 1]) assert.deepEqual(quantilesOfParts(two, [p]), quantiles(mergeDigests(two, { bounded: false }), [p]), `p=${p}`);
  assert.equal(quantilesOfParts([emptyDigest(), emptyDigest()], [0.5]), undefined);
});
