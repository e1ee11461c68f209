/**
 * Per-key rate limiting with GCRA (the generic cell rate algorithm), a pure function of the
 * previous state and `now`. Unlike a fixed window, GCRA has no boundary where two full bursts fit
 * back to back: a key may burst up to `limit` requests, and after that it earns one request every
 * `period / limit` ms. Requests spread evenly at exactly the limit are therefore never refused.
 *
 * State is one number per key, the theoretical arrival time (TAT): when the key would be "empty"
 * again if it stopped now.
 */
export interface GcraDecision {
  allowed: boolean;
  /** The state to keep (unchanged when refused: a refused request costs nothing). */
  tat: number;
  limit: number;
  /** Requests that could still be made at once, right now. */
  remaining: number;
  /** Ms until the full burst is available again. */
  resetMs: number;
  /** Ms until the next request would be allowed (0 when allowed). */
  retryAfterMs: number;
}

export function gcra(previousTat: number | undefined, now: number, limit: number, periodMs: number): GcraDecision {
  const interval = periodMs / limit;
  const burst = periodMs; // limit × interval
  // The TAT is never more than a period ahead of the clock that set it. One more than two periods
  // ahead means the clock was set back by over a period (NTP step, a test's clock): start afresh
  // rather than refuse for as long as it jumped. A smaller step back keeps the state.
  const tat = previousTat === undefined || previousTat > now + 2 * burst ? now : Math.max(previousTat, now);
  const nextTat = tat + interval;
  const allowAt = nextTat - burst;
  if (now < allowAt) {
    return { allowed: false, tat, limit, remaining: 0, resetMs: Math.ceil(tat - now), retryAfterMs: Math.ceil(allowAt - now) };
  }
  return {
    allowed: true,
    tat: nextTat,
    limit,
    remaining: Math.max(0, Math.floor((now + burst - nextTat) / interval + 1e-9)),
    resetMs: Math.ceil(nextTat - now),
    retryAfterMs: 0,
  };
}

/** Calendar month in UTC: quotas reset on the first of the month, which people can predict. */
export function monthPeriod(now: number): { start: number; end: number } {
  const date = new Date(now);
  const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  const end = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  return { start, end };
}

export const MINUTE_MS = 60_000;

/** The one mutable map of GCRA states, owned by the access layer createApp builds. */
export interface RateLimiter {
  take(keyId: string, now: number, limit: number): GcraDecision;
  /** Drops states that have fully recovered, so the map stays as small as the active keys. */
  prune(now: number): void;
}

export function createRateLimiter(periodMs = MINUTE_MS): RateLimiter {
  const tats = new Map<string, number>();
  return {
    take(keyId, now, limit) {
      const decision = gcra(tats.get(keyId), now, limit, periodMs);
      if (decision.allowed) tats.set(keyId, decision.tat);
      return decision;
    },
    prune(now) {
      for (const [keyId, tat] of tats) if (tat <= now) tats.delete(keyId);
    },
  };
}
