/**
 * The demo's rate-limit headers: a per-minute window whose remaining requests and tokens count
 * down with every request and refill when the minute turns, sent the way OpenAI sends them.
 */
export interface RateWindow {
  /** Counts one request of `tokens` tokens; returns the headers to send with its answer. */
  take(now: number, tokens: number, exhausted: boolean): Record<string, string>;
}

const WINDOW_MS = 60_000;

export function createRateWindow(limits = { requests: 600, tokens: 200_000 }): RateWindow {
  let windowStart = -1;
  let requests = 0;
  let tokens = 0;
  return {
    take(now, used, exhausted) {
      const start = now - (now % WINDOW_MS);
      if (start !== windowStart) {
        windowStart = start;
        requests = 0;
        tokens = 0;
      }
      requests += 1;
      tokens += used;
      const resetS = ((start + WINDOW_MS - now) / 1000).toFixed(3).replace(/\.?0+$/, '');
      return {
        'x-ratelimit-limit-requests': String(limits.requests),
        'x-ratelimit-remaining-requests': String(exhausted ? 0 : Math.max(0, limits.requests - requests)),
        'x-ratelimit-reset-requests': `${resetS}s`,
        'x-ratelimit-limit-tokens': String(limits.tokens),
        'x-ratelimit-remaining-tokens': String(exhausted ? 0 : Math.max(0, limits.tokens - tokens)),
        'x-ratelimit-reset-tokens': `${resetS}s`,
      };
    },
  };
}
