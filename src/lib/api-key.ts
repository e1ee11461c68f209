import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { randomBase62 } from './ids.ts';

/**
 * API keys look like `cp_live_<32 base62><6 base62 checksum>`. 32 base62 characters carry 190
 * bits of randomness. The checksum (CRC32 of everything before it, in base62) lets a secret
 * scanner, or our own guard, tell a real key from a typo or noise without a database lookup,
 * the way GitHub's tokens do.
 */
export const KEY_PREFIX = 'cp_live_';
const SECRET_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
/** Characters of the secret shown in listings: enough to tell keys apart, too few to matter. */
const DISPLAY_CHARS = 6;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_PATTERN = new RegExp(`^${KEY_PREFIX}[0-9A-Za-z]{${SECRET_LENGTH + CHECKSUM_LENGTH}}$`);

export interface GeneratedKey {
  /** The full key: shown once, never stored. */
  key: string;
  /** `cp_live_` plus the first few characters, for listings. */
  prefix: string;
  hash: string;
}

function checksum(body: string): string {
  let value = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

export function generateApiKey(random: (n: number) => Buffer = randomBytes): GeneratedKey {
  const body = KEY_PREFIX + randomBase62(SECRET_LENGTH, random);
  const key = body + checksum(body);
  return { key, prefix: displayPrefix(key), hash: hashApiKey(key) };
}

export function displayPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX.length + DISPLAY_CHARS);
}

/** Shape and checksum only; says nothing about whether the key exists. */
export function isWellFormedApiKey(text: string): boolean {
  if (!KEY_PATTERN.test(text)) return false;
  const split = text.length - CHECKSUM_LENGTH;
  return checksum(text.slice(0, split)) === text.slice(split);
}

/**
 * SHA-256 is enough here (unlike passwords): the secret has 190 random bits, so there is nothing
 * to brute-force, and a fast hash keeps authentication cheap on every request.
 */
export function hashApiKey(key: string): string {
  // The one-shot form: about half the cost of createHash().update().digest() on this hot path.
  return hash('sha256', key, 'hex');
}

/**
 * hashApiKey's digest as its 32 bytes in a latin1 string, for the guard's in-memory lookup: it
 * skips the hex text both ways (encoding it, then decoding it for the constant-time compare) and
 * is half as long to hash as a map key. The database keeps hex (hexDigest converts).
 */
export function apiKeyDigest(key: string): string {
  return hash('sha256', key, 'binary'); // Node's other name for latin1, the one its types accept here
}

export function hexDigest(digest: string): string {
  return Buffer.from(digest, 'latin1').toString('hex');
}

/**
 * Constant-time comparison of two hex digests. The database finds the row by hash; this check
 * after the lookup means the final accept/reject never depends on where two strings first differ.
 */
export function hashesEqual(a: string, b: string): boolean {
  return digestsEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

/** `hashesEqual` for digests already held as bytes (the guard keeps cached ones decoded). */
export function digestsEqual(left: Uint8Array, right: Uint8Array): boolean {
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
