import type { H3Event } from 'h3';
import { setAccessHeaders } from './api-response.ts';
import type { GcraDecision } from './rate-limit.ts';

export interface QuotaState {
  limit: number;
  /** Requests counted this period, including the current one when it was accepted. */
  used: number;
  periodStart: number;
  periodEnd: number;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/** Writes the rate-limit headers of one response (see rateLimitHeaders). */
export type RateLimitHeaderWriter = (event: H3Event, rate: GcraDecision, quota: QuotaState, now: number, quotaRefused: boolean) => void;

/**
 * Texts kept from the previous response: this runs on every API response, and the values that
 * change at most once a second (reset times, the policy) are epoch seconds and large quotas, not
 * small integers, whose formatting is the slow path.
 */
export interface HeaderTexts {
  reset: (n: number) => string;
  monthEnd: (n: number) => string;
  policy: (rateLimit: number, quotaLimit: number, monthSeconds: number) => string;
}

export function createHeaderTexts(): HeaderTexts {
  const last = { rateLimit: Number.NaN, quotaLimit: Number.NaN, monthSeconds: Number.NaN, text: '' };
  return {
    reset: lastText(),
    monthEnd: lastText(),
    policy(rateLimit, quotaLimit, monthSeconds) {
      if (rateLimit !== last.rateLimit || quotaLimit !== last.quotaLimit || monthSeconds !== last.monthSeconds) {
        Object.assign(last, { rateLimit, quotaLimit, monthSeconds, text: `"minute";q=${rateLimit};w=60, "month";q=${quotaLimit};w=${monthSeconds}` });
      }
      return last.text;
    },
  };
}

/**
 * Both header families on every authenticated response:
 * - `X-RateLimit-Limit/Remaining/Reset` (the de-facto GitHub style; Reset is epoch seconds) for the
 *   per-minute limit, or for the monthly quota when that is what refused the request, so a client
 *   that sleeps until Reset always waits long enough;
 * - the IETF draft `RateLimit-Policy` / `RateLimit` pair (draft-ietf-httpapi-ratelimit-headers),
 *   one item per policy: `"minute"` and `"month"`, with `t` in seconds from now.
 */
export function rateLimitHeaders(rate: GcraDecision, quota: QuotaState, now: number, quotaRefused = false, texts = createHeaderTexts()): Record<string, string> {
  return Object.fromEntries(rateLimitHeaderPairs(rate, quota, now, quotaRefused, texts));
}

/** rateLimitHeaders as the name/value pairs a response is written with. */
function rateLimitHeaderPairs(rate: GcraDecision, quota: QuotaState, now: number, quotaRefused: boolean, texts: HeaderTexts): Array<[string, string]> {
  const quotaRemaining = Math.max(0, quota.limit - quota.used);
  return [
    ['x-ratelimit-limit', String(quotaRefused ? quota.limit : rate.limit)],
    ['x-ratelimit-remaining', quotaRefused ? '0' : String(rate.remaining)],
    ['x-ratelimit-reset', texts.reset(quotaRefused ? Math.ceil(quota.periodEnd / 1000) : Math.ceil((now + rate.resetMs) / 1000))],
    ['ratelimit-policy', texts.policy(rate.limit, quota.limit, seconds(quota.periodEnd - quota.periodStart))],
    ['ratelimit', `"minute";r=${rate.remaining};t=${seconds(rate.resetMs)}, "month";r=${quotaRemaining};t=${texts.monthEnd(seconds(quota.periodEnd - now))}`],
  ];
}

/**
 * The headers of an answer given without a valid key (the OpenAPI document, a 401), limited per
 * client address: the same families with the one policy that applies, `"minute"`.
 */
export function anonymousRateLimitHeaders(rate: GcraDecision, now: number): Array<[string, string]> {
  return [
    ['x-ratelimit-limit', String(rate.limit)],
    ['x-ratelimit-remaining', String(rate.remaining)],
    ['x-ratelimit-reset', String(Math.ceil((now + rate.resetMs) / 1000))],
    ['ratelimit-policy', `"minute";q=${rate.limit};w=60`],
    ['ratelimit', `"minute";r=${rate.remaining};t=${seconds(rate.resetMs)}`],
  ];
}

/** A writer for one access layer, with its own remembered texts: the headers go with every answer to the request (see api-response.ts). */
export function createRateLimitHeaders(): RateLimitHeaderWriter {
  const texts = createHeaderTexts();
  return (event, rate, quota, now, quotaRefused) => setAccessHeaders(event, rateLimitHeaderPairs(rate, quota, now, quotaRefused, texts));
}

/** The text of a number, reusing the previous text while the number stays the same. */
function lastText(): (n: number) => string {
  let last = Number.NaN;
  let text = '';
  return (n) => (n === last ? text : ((last = n), (text = String(n))));
}

/** Seconds to wait, never 0: `Retry-After: 0` would invite an immediate, refused retry. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}
