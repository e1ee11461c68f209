import type { Db } from '../db/connect.ts';
import { hexDigest } from '../lib/api-key.ts';
import { createKeyLookup, toKeyRecord, type ApiKeyRecord, type KeyLookup } from '../store/keys.ts';

export interface CachedKey {
  /** The digest as the cache's key (apiKeyDigest's latin1 text). */
  lookup: string;
  /** The stored SHA-256 digest, decoded once, for the constant-time compare after the lookup. */
  digest: Buffer;
  record: ApiKeyRecord;
}

/** Keys are looked up by their SHA-256 digest as a latin1 string (apiKeyDigest), not by hex. */
export interface KeyCache {
  /** The key with this digest when it is in memory and fresh at `now`; never reads a row. */
  cached(digest: string, now: number): CachedKey | undefined;
  /** The key with this digest from the database (and remembers it). */
  load(digest: string): CachedKey | undefined;
  /** Drops every cached row: call after this process changed a key (revoke). */
  forget(): void;
}

/** How stale a cached key may be when another process revoked it: the bound the docs promise. */
export const KEY_RECHECK_MS = 100;

/**
 * Key rows by hash, so most API requests need no database read. Only hashes of existing keys are
 * kept (an unknown key is looked up again every time, so a key created by another process works
 * at once), so the map is never larger than the api_keys table.
 *
 * Freshness: a revoke made by this process drops the map at once (forget). One made by another
 * process (`cappulse keys revoke` against the running server's file) shows up as a change of
 * SQLite's `data_version`, and the map is dropped then. Reading `data_version` cost 4–15 µs under
 * load, as much as the rest of the guard, so it is read at most once per KEY_RECHECK_MS of the
 * injected clock instead of on every request: such a revoke takes effect within 100 ms. Expiry is
 * not cached: the guard compares expires_at with its clock on every request.
 */
export function createKeyCache(db: Db): KeyCache {
  const rows = new Map<string, CachedKey>();
  let lookup: KeyLookup | undefined;
  let version = -1;
  let checkedAt = -Infinity;
  // Prepared on first use: the tables exist only once the app has migrated the database.
  const prepared = () => (lookup ??= createKeyLookup(db));

  return {
    cached(digest, now) {
      // A clock set back must not postpone the next check until it catches up.
      if (now - checkedAt >= KEY_RECHECK_MS || now < checkedAt) {
        checkedAt = now;
        const current = prepared().version();
        if (current !== version) {
          rows.clear();
          version = current;
        }
      }
      return rows.get(digest);
    },
    load(digest) {
      const row = prepared().find(hexDigest(digest));
      if (!row) return undefined;
      const entry = { lookup: digest, digest: Buffer.from(row.hash, 'hex'), record: toKeyRecord(row) };
      rows.set(digest, entry);
      return entry;
    },
    forget: () => rows.clear(),
  };
}
