import type { Db } from '../db/connect.ts';
import type { Logger } from '../lib/logger.ts';
import { touchApiKeys } from '../store/keys.ts';
import { addUsage, usageCount, type UsageIncrement } from '../store/usage.ts';

/**
 * Monthly request counts per key, kept in memory and written to SQLite in batches.
 *
 * Why batch: one SQLite write per API request would make the quota the most expensive part of
 * every read. What we keep: a quota survives restarts, because the count is loaded from the
 * `usage` table the first time a key is seen and every pending count is written on stop. What a
 * crash can lose is bounded: counts are flushed every `flushMs` (1 s) and as soon as `maxPending`
 * (1000) requests are waiting, so a crash forgets at most about a second of traffic or 1000
 * requests, whichever is smaller. Losing counts favours the client (a quota can be overrun by at
 * most that much after a crash); it never refuses a request that was within its quota.
 * `last_used_at` rides along in the same transaction.
 */
export interface UsageMeter {
  /** Requests counted in the period, or undefined when the key's persisted count is not loaded yet. */
  peek(keyId: string, periodStart: number): number | undefined;
  /** Loads the persisted count (once per key and period) and returns the current count. */
  load(keyId: string, periodStart: number): Promise<number>;
  count(keyId: string, periodStart: number, now: number): void;
  flush(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export interface UsageMeterOptions {
  db: Db;
  logger: Logger;
  flushMs?: number;
  maxPending?: number;
}

interface Counter {
  keyId: string;
  periodStart: number;
  persisted: number;
  pending: number;
}

export function createUsageMeter(options: UsageMeterOptions): UsageMeter {
  const { db } = options;
  const log = options.logger.child('usage');
  const flushMs = options.flushMs ?? 1000;
  const maxPending = options.maxPending ?? 1000;
  // By period, then key: the guard peeks and counts on every request, and two plain lookups cost
  // less than building a combined string key each time.
  const counters = new Map<number, Map<string, Counter>>();
  const loading = new Map<string, Promise<number>>();
  let lastUsed = new Map<string, number>();
  let pendingTotal = 0;
  let flushing: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const counterOf = (keyId: string, periodStart: number) => counters.get(periodStart)?.get(keyId);
  const addCounter = (counter: Counter) => {
    let period = counters.get(counter.periodStart);
    if (!period) counters.set(counter.periodStart, (period = new Map()));
    period.set(counter.keyId, counter);
    return counter;
  };

  const writeOnce = async () => {
    const increments: UsageIncrement[] = [];
    for (const period of counters.values()) {
      for (const counter of period.values()) {
        if (counter.pending === 0) continue;
        increments.push({ keyId: counter.keyId, periodStart: counter.periodStart, requests: counter.pending });
        counter.persisted += counter.pending;
        counter.pending = 0;
      }
    }
    const touched = lastUsed;
    lastUsed = new Map();
    pendingTotal = 0;
    if (increments.length === 0 && touched.size === 0) return;
    try {
      await db.kysely.transaction().execute(async (trx) => {
        await addUsage(trx, increments);
        await touchApiKeys(trx, touched);
      });
    } catch (error) {
      // Put the counts back so the next flush retries them; a quota must not forget use silently.
      for (const inc of increments) {
        const counter = counterOf(inc.keyId, inc.periodStart);
        if (counter) {
          counter.persisted -= inc.requests;
          counter.pending += inc.requests;
          pendingTotal += inc.requests;
        }
      }
      for (const [key, at] of touched) if (!lastUsed.has(key)) lastUsed.set(key, at);
      log.error('usage_flush_failed', { error, keys: increments.length });
    }
    // Counters of past months are finished; drop them once nothing is pending.
    const newest = Math.max(0, ...counters.keys());
    for (const [start, period] of counters) {
      if (start === newest) continue;
      for (const [keyId, counter] of period) if (counter.pending === 0) period.delete(keyId);
      if (period.size === 0) counters.delete(start);
    }
  };

  const meter: UsageMeter = {
    peek(keyId, periodStart) {
      const counter = counterOf(keyId, periodStart);
      return counter && counter.persisted + counter.pending;
    },
    load(keyId, periodStart) {
      const key = `${keyId}\u0000${periodStart}`;
      const known = meter.peek(keyId, periodStart);
      if (known !== undefined) return Promise.resolve(known);
      let promise = loading.get(key);
      if (!promise) {
        promise = usageCount(db.kysely, keyId, periodStart)
          .then((persisted) => {
            if (!counterOf(keyId, periodStart)) addCounter({ keyId, periodStart, persisted, pending: 0 });
            return meter.peek(keyId, periodStart) ?? persisted;
          })
          .finally(() => loading.delete(key));
        loading.set(key, promise);
      }
      return promise.then(() => meter.peek(keyId, periodStart) ?? 0);
    },
    count(keyId, periodStart, now) {
      // Only missing without load(): keep the count rather than drop it.
      const counter = counterOf(keyId, periodStart) ?? addCounter({ keyId, periodStart, persisted: 0, pending: 0 });
      counter.pending += 1;
      pendingTotal += 1;
      lastUsed.set(keyId, now);
      if (pendingTotal >= maxPending) void meter.flush();
    },
    flush() {
      flushing = flushing.then(writeOnce);
      return flushing;
    },
    start() {
      if (timer) return;
      timer = setInterval(() => void meter.flush(), flushMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await meter.flush();
    },
  };
  return meter;
}
