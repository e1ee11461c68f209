import type { GcraDecision } from './rate-limit.ts';

export interface QuotaState {
  limit: number;
  /** Requests counted this period, including the current one when it was accepted. */
  used: number;
  periodStart: number;
  periodEnd: number;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/**
 * Both header families on every authenticated response:
 * - `X-RateLimit-Limit/Remaining/Reset` (the de-facto GitHub style; Reset is epoch seconds) for the
 *   per-minute limit, or for the monthly quota when that is what refused the request, so a client
 *   that sleeps until Reset always waits long enough;
 * - the IETF draft `RateLimit-Policy` / `RateLimit` pair (draft-ietf-httpapi-ratelimit-headers),
 *   one item per policy: `"minute"` and `"month"`, with `t` in seconds from now.
 */
export function rateLimitHeaders(rate: GcraDecision, quota: QuotaState, now: number, quotaRefused = false): Record<string, string> {
  const quotaRemaining = Math.max(0, quota.limit - quota.used);
  const monthSeconds = seconds(quota.periodEnd - quota.periodStart);
  const toMonthEnd = seconds(quota.periodEnd - now);
  const classic = quotaRefused
    ? { limit: quota.limit, remaining: 0, reset: Math.ceil(quota.periodEnd / 1000) }
    : { limit: rate.limit, remaining: rate.remaining, reset: Math.ceil((now + rate.resetMs) / 1000) };
  return {
    'x-ratelimit-limit': String(classic.limit),
    'x-ratelimit-remaining': String(classic.remaining),
    'x-ratelimit-reset': String(classic.reset),
    'ratelimit-policy': `"minute";q=${rate.limit};w=60, "month";q=${quota.limit};w=${monthSeconds}`,
    ratelimit: `"minute";r=${rate.remaining};t=${seconds(rate.resetMs)}, "month";r=${quotaRemaining};t=${toMonthEnd}`,
  };
}

/** Seconds to wait, never 0: `Retry-After: 0` would invite an immediate, refused retry. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}
