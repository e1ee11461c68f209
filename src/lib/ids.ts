import { randomBytes, randomFillSync } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniform base62 string (rejection sampling, so no character is more likely than another). */
export function randomBase62(length: number, random: (n: number) => Buffer = randomBytes): string {
  let out = '';
  while (out.length < length) {
    for (const byte of random(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/**
 * Random bytes served from an 8 KiB pool. Each synchronous `randomBytes` call sets up a crypto
 * job: in the loaded API server that cost about 25 µs per request id (scripts/bench/api.ts), so
 * request ids no longer draw random bytes (src/http/context.ts), and the other identifiers (a
 * delivery per endpoint on every event, incidents, events, leases) take theirs from this pool:
 * the same CSPRNG bytes, fetched 256 identifiers at a time. A new pool is allocated on refill, so
 * bytes handed out are never overwritten. For identifiers only: secrets (API keys, webhook
 * secrets) take theirs straight from randomBytes, so they never sit in a buffer beside other bytes.
 */
const POOL_BYTES = 8192;
let pool = Buffer.alloc(0);
let poolOffset = 0;

export function pooledRandomBytes(n: number): Buffer {
  if (n > POOL_BYTES) return randomBytes(n);
  if (poolOffset + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return bytes;
}

/** Prefixed identifiers such as `inc_…`, `evt_…`, `req_…`: the prefix tells a reader what it names. */
export function prefixedId(prefix: string, length = 20): string {
  return `${prefix}_${randomBase62(length, pooledRandomBytes)}`;
}
