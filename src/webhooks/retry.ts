/**
 * The retry decision, pure. `schedule[i]` is the wait before attempt i+1 (the first entry is
 * usually 0: send at once). After the attempt numbered `attempts` fails:
 *
 * | situation                         | outcome                                         |
 * |-----------------------------------|-------------------------------------------------|
 * | attempts >= schedule.length        | give up: `failed`                               |
 * | otherwise                          | retry after schedule[attempts] ± jitter         |
 * | the receiver sent Retry-After      | retry after max(that wait, Retry-After), capped |
 *
 * Jitter spreads the retries of many deliveries that failed together (an endpoint coming back up
 * would otherwise take them all in the same second).
 */
export const JITTER = 0.2;
/** A receiver may ask for a pause, but not for one longer than our longest step. */
const RETRY_AFTER_CAP_MS = 24 * 3_600_000;

export type RetryDecision = { kind: 'retry'; delayMs: number } | { kind: 'give_up' };

export function nextRetry(schedule: readonly number[], attempts: number, random: () => number, retryAfterMs: number | null = null): RetryDecision {
  const base = schedule[attempts];
  if (base === undefined) return { kind: 'give_up' };
  const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * random()));
  const asked = retryAfterMs === null ? 0 : Math.min(retryAfterMs, Math.max(RETRY_AFTER_CAP_MS, base));
  return { kind: 'retry', delayMs: Math.max(jittered, asked) };
}

/** `Retry-After` as seconds or an HTTP date, in ms from now; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}
