import { emptyDigest, type Digest } from './digest.ts';

/**
 * Compact binary form of a digest: a version byte, the centroid count, then for each centroid
 * the gap from the previous position and its weight, all as LEB128 varints. Positions are
 * sorted integers 0.1 % apart, so a gap is usually one byte: an hour of one-a-minute probes is
 * about 130 bytes, where the package's JSON centroids took kilobytes.
 */
const VERSION = 1;

export function encodeDigest(digest: Digest): Uint8Array {
  const { units, counts } = digest;
  // Worst case: 1 + 5 + 2 * 8 bytes per centroid; trimmed with subarray below.
  const out = new Uint8Array(6 + units.length * 16);
  let at = 0;
  const put = (value: number) => {
    let v = value;
    while (v >= 0x80) {
      out[at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    out[at++] = v;
  };
  out[at++] = VERSION;
  put(units.length);
  let previous = 0;
  for (let i = 0; i < units.length; i++) {
    put(units[i]! - previous);
    put(counts[i]!);
    previous = units[i]!;
  }
  return out.slice(0, at);
}

export function decodeDigest(bytes: Uint8Array | null | undefined): Digest {
  if (!bytes || bytes.length === 0) return emptyDigest();
  if (bytes[0] !== VERSION) throw new Error(`unknown digest encoding version ${bytes[0]}`);
  let at = 1;
  const get = () => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[at++];
      if (byte === undefined) throw new Error('truncated digest');
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  };
  const size = get();
  const units = new Array<number>(size);
  const counts = new Array<number>(size);
  let previous = 0;
  for (let i = 0; i < size; i++) {
    previous += get();
    units[i] = previous;
    counts[i] = get();
  }
  return { units, counts };
}
