import type { Cause, StatusName } from './types.ts';

const STATUS_WORDS: Record<StatusName, string> = {
  operational: 'operational',
  degraded: 'degraded performance',
  partial_outage: 'partial outage',
  major_outage: 'major outage',
  unknown: 'unknown (too little data)',
  misconfigured: 'misconfigured',
};

export function statusWords(status: StatusName): string {
  return STATUS_WORDS[status];
}

const pct = (v: number | null) => (v === null ? 'n/a' : `${Math.round(v * 1000) / 10}%`);
const ms = (v: number | null) => (v === null ? 'n/a' : `${Math.round(v)} ms`);

/** One cause in words a reader can check against the numbers: measured vs threshold, over what. */
export function describeCause(c: Cause): string {
  const over = c.window === null ? '' : ` over ${c.window}`;
  switch (c.rule) {
    case 'consecutive_failures':
      return `${c.value} consecutive availability failures (threshold ${c.threshold})`;
    case 'major_error_rate':
    case 'partial_error_rate':
    case 'degraded_error_rate':
      return `error rate ${pct(c.value)}${over} across ${c.samples} probes (threshold ${pct(c.threshold)})`;
    case 'latency_p95':
      return `p95 latency ${ms(c.value)}${over} across ${c.samples} successes (threshold ${ms(c.threshold)})`;
    case 'latency_p95_relative':
      return `p95 latency ${ms(c.value)}${over} across ${c.samples} successes (threshold ${ms(c.threshold)}, a multiple of the 7-day p95)`;
    case 'rate_limited':
      return `rate limited: ${pct(c.value)} of ${c.samples} probes${over} (threshold ${pct(c.threshold)})`;
    case 'quota_exceeded':
      return `quota exceeded: ${pct(c.value)} of ${c.samples} probes${over} (threshold ${pct(c.threshold)})`;
    case 'misconfigured':
      return `${c.value} auth or client errors in a row: check the API key and model id`;
    case 'insufficient_data':
      return `${c.value} probes${over}, fewer than the ${c.threshold} needed`;
    case 'healthy':
      return `error rate ${pct(c.value)}${over} (below ${pct(c.threshold)})`;
    case 'recovery':
      return `${c.value} successes in a row after ${c.samples} clear evaluations (needs ${c.threshold})`;
    case 'removed_from_config':
      return 'removed from the config: no longer monitored';
  }
}
