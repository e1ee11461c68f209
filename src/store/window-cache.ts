import type { CompiledQuery } from 'kysely';
import type { Agg } from '../stats/aggregate.ts';

/**
 * What a window read keeps between requests, in memory: merged closed time of each scope's
 * windows (see window-read.ts) and the decoded minute rollups of the open minutes. One instance
 * per server (createHttpApp), shared by every metrics request; nothing here touches the database.
 *
 * Entries are never trusted blindly: each is kept with the fingerprint of the rollup rows it was
 * built from (the span, the probe count and the row count), and a read checks that fingerprint
 * against the database first. A late result, a rebuild or a prune from any process changes the
 * rows and so the fingerprint, and the entry is rebuilt: no write path has to know this cache
 * exists, and a metrics read never writes.
 */
export interface WindowCache {
  /** The value kept under `key` if it was kept with this `fingerprint`. */
  get<T>(key: string, fingerprint: string): T | undefined;
  /** Keeps `value` under `key`, replacing what a window that moved on left there. */
  set(key: string, fingerprint: string, value: unknown): void;
  /**
   * Decoded minute rollups of the open minutes, keyed `${targetId}:${bucket}`, in about the
   * order buckets were first seen, so the reader drops the minutes that closed from the front.
   */
  readonly minutes: Map<string, MinuteEntry>;
  /** The per-request queries, compiled once per shape (store/rollup-reads.ts). */
  readonly statements: Map<string, CompiledQuery>;
  /** Forgets every merge and decoded minute when the rollups generation moved (a rebuild ran). */
  syncGeneration(generation: number): void;
}

/** An open minute rollup row, decoded once and reused while its probe count stays the same. */
export interface MinuteEntry {
  bucket: number;
  probes: number;
  agg: Agg;
}

/**
 * A bounded map, least recently used dropped first. A key names a scope, window and part, not a
 * span, so a window that moved on replaces its entry: two per scope and window. A 10-target
 * scope keeps 100-450 KB per window (measured), a one-target scope far less; the default bound
 * holds every provider and model of a large config. It counts entries, not bytes: at worst (every
 * entry a 10-target 7d scope) 400 entries are about 180 MB; a config of a few dozen providers and
 * models, read over three windows, stays within tens of MB.
 */
export function createWindowCache(maxEntries = 400): WindowCache {
  const entries = new Map<string, { fingerprint: string; value: unknown }>();
  let generation: number | undefined;
  const minutes = new Map<string, MinuteEntry>();
  return {
    get<T>(key: string, fingerprint: string) {
      const entry = entries.get(key);
      if (entry === undefined || entry.fingerprint !== fingerprint) return undefined;
      entries.delete(key);
      entries.set(key, entry);
      return entry.value as T;
    },
    set(key, fingerprint, value) {
      entries.delete(key);
      entries.set(key, { fingerprint, value });
      // Maps iterate in insertion order: the first key is the least recently used.
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    minutes,
    statements: new Map(),
    syncGeneration(current) {
      if (current === generation) return;
      generation = current;
      entries.clear();
      minutes.clear();
    },
  };
}
