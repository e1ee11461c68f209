import type { Evidence, WindowTally } from './evidence.ts';
import type { ResolvedThresholds } from './thresholds.ts';
import type { Cause, StatusName } from './types.ts';

/** What the rules see right now, before hysteresis decides whether to act on it. */
export interface Finding {
  status: StatusName;
  cause: Cause;
}

/**
 * A rate rule needs at least this many bad probes in its window, whatever the rate: on a short
 * history one failure is already 20% of five probes, and one probe alone must never open an
 * incident (short runs are the consecutive-failure rule's job).
 */
export const MIN_BAD_PROBES = 2;

function errorRate(w: WindowTally): number | null {
  const relevant = w.successes + w.failures;
  return relevant === 0 ? null : w.failures / relevant;
}

function rateRule(rule: Cause['rule'], w: WindowTally, threshold: number, minProbes: number): Cause | undefined {
  const relevant = w.successes + w.failures;
  const rate = errorRate(w);
  if (relevant < minProbes || w.failures < MIN_BAD_PROBES || rate === null || rate < threshold) return undefined;
  return { rule, value: rate, threshold, window: w.window, samples: relevant };
}

function latencyRules(e: Evidence, t: ResolvedThresholds): Cause | undefined {
  const { p95, samples, window } = e.latency;
  if (p95 === null || samples < t.minLatencySamples) return undefined;
  if (t.latencyP95Ms !== null && p95 > t.latencyP95Ms) return { rule: 'latency_p95', value: p95, threshold: t.latencyP95Ms, window, samples };
  if (t.latencyP95Relative !== null && e.baselineP95 !== null && p95 > t.latencyP95Relative * e.baselineP95) {
    return { rule: 'latency_p95_relative', value: p95, threshold: t.latencyP95Relative * e.baselineP95, window, samples };
  }
  return undefined;
}

function rateLimitRule(w: WindowTally, t: ResolvedThresholds): Cause | undefined {
  const limited = w.rateLimited + w.quotaExceeded;
  if (w.probes < t.minProbes || limited < MIN_BAD_PROBES) return undefined;
  const share = limited / w.probes;
  if (share < t.rateLimitedShare) return undefined;
  // Quota exhaustion is an account problem, not throttling: name whichever dominates.
  const rule = w.quotaExceeded > w.rateLimited ? 'quota_exceeded' : 'rate_limited';
  return { rule, value: share, threshold: t.rateLimitedShare, window: w.window, samples: w.probes };
}

/**
 * The status the evidence points to, worst rule first (DESIGN.md §6). Auth and client errors come
 * before everything: while the team's key or model id is wrong we cannot measure the provider.
 */
export function measure(e: Evidence, t: ResolvedThresholds): Finding {
  if (e.misconfiguredRun >= t.majorConsecutiveFailures) {
    return { status: 'misconfigured', cause: { rule: 'misconfigured', value: e.misconfiguredRun, threshold: t.majorConsecutiveFailures, window: null, samples: e.misconfiguredRun } };
  }
  if (e.failureRun >= t.majorConsecutiveFailures) {
    return { status: 'major_outage', cause: { rule: 'consecutive_failures', value: e.failureRun, threshold: t.majorConsecutiveFailures, window: null, samples: e.failureRun } };
  }
  const major = rateRule('major_error_rate', e.major, t.majorErrorRate, t.minProbes);
  if (major) return { status: 'major_outage', cause: major };
  const partial = rateRule('partial_error_rate', e.partial, t.partialErrorRate, t.minProbes);
  if (partial) return { status: 'partial_outage', cause: partial };
  const degraded = rateRule('degraded_error_rate', e.degraded, t.degradedErrorRate, t.minProbes) ?? latencyRules(e, t) ?? rateLimitRule(e.rateLimited, t);
  if (degraded) return { status: 'degraded', cause: degraded };
  if (e.data.probes < t.minProbes) {
    return { status: 'unknown', cause: { rule: 'insufficient_data', value: e.data.probes, threshold: t.minProbes, window: e.data.window, samples: e.data.probes } };
  }
  return { status: 'operational', cause: { rule: 'healthy', value: errorRate(e.degraded), threshold: t.degradedErrorRate, window: e.degraded.window, samples: e.degraded.successes + e.degraded.failures } };
}
