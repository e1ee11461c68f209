import tdigest from 'tdigest';
import { addValue, emptyDigest, fromUnit, mergeDigests, quantiles, type Digest } from '../../src/stats/digest.ts';
import { decodeDigest, encodeDigest } from '../../src/stats/digest-codec.ts';
import { seededRandom } from '../../test/helpers/metrics-db.ts';

/**
 * Our digests against the npm `tdigest` package on the same values: 168 hourly digests of
 * bimodal latencies, serialized (ours: varint log units; the package: JSON of its centroids),
 * merged back for four quantiles, and the quantile read alone.
 */
export function compareDigests(): string[] {
  const random = seededRandom(3);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const draw = () => (random() < 0.9 ? Math.exp(6.4 + 0.35 * gaussian()) : Math.exp(8.7 + 0.4 * gaussian()));
  const time = (fn: () => unknown, n: number) => {
    fn();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    return (performance.now() - t0) / n;
  };
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ps = [0.5, 0.9, 0.95, 0.99];
  const lines: string[] = [];
  for (const perHour of [60, 720]) {
    const ours: Uint8Array[] = [];
    const json: string[] = [];
    for (let hour = 0; hour < 168; hour++) {
      let digest: Digest = emptyDigest();
      const theirs = new tdigest.TDigest();
      for (let i = 0; i < perHour; i++) {
        const value = draw();
        digest = addValue(digest, value);
        theirs.push(value);
      }
      ours.push(encodeDigest(digest));
      json.push(JSON.stringify(theirs.toArray()));
    }
    const mergeOurs = time(() => quantiles(mergeDigests(ours.map(decodeDigest)), ps), 50);
    const mergeTheirs = time(() => {
      const merged = new tdigest.TDigest();
      for (const text of json) merged.push_centroid(JSON.parse(text));
      merged.percentile(ps);
    }, 5);
    const merged = mergeDigests(ours.map(decodeDigest));
    const readOurs = time(() => quantiles(merged, ps), 2000);
    const readTheirs = time(() => {
      const tree = new tdigest.TDigest(0.01, 0);
      merged.units.forEach((unit, i) => tree.push_centroid({ mean: unit, n: merged.counts[i]! }));
      tree.percentile(ps).map(fromUnit);
    }, 500);
    lines.push(
      `${perHour} probes/hour: an hour serialized ${mean(ours.map((b) => b.length)).toFixed(0)} B (package JSON ${mean(json.map((j) => j.length)).toFixed(0)} B); ` +
        `168 hours merged + 4 quantiles ${mergeOurs.toFixed(2)} ms (package ${mergeTheirs.toFixed(1)} ms); ` +
        `4 quantiles of the merge (${merged.units.length} centroids) ${(readOurs * 1000).toFixed(1)} µs (package tree ${(readTheirs * 1000).toFixed(0)} µs)`,
    );
  }
  return lines;
}
