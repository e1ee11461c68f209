import { AVAILABILITY_FAILURES, MISCONFIGURATION_CLASSES, type ErrorClass } from '../probe/types.ts';
import { longestWindowMs, type ResolvedThresholds, type WindowSetting } from './thresholds.ts';

/** The part of a probe result the rules look at. */
export interface Outcome {
  startedAt: number;
  ok: boolean;
  errorClass: ErrorClass | null;
  latencyMs: number | null;
}

/** Counts over one window. `failures` are availability failures only (DESIGN.md §4). */
export interface WindowTally {
  window: string;
  probes: number;
  successes: number;
  failures: number;
  rateLimited: number;
  quotaExceeded: number;
}

export interface Evidence {
  /** Newest availability failures in a row; rate-limited probes neither extend nor break the run. */
  failureRun: number;
  /** Newest successes in a row: any other outcome ends it. */
  successRun: number;
  /** Newest auth/client errors in a row. */
  misconfiguredRun: number;
  major: WindowTally;
  partial: WindowTally;
  degraded: WindowTally;
  rateLimited: WindowTally;
  /** The longest rule window: fewer than min_probes here means too little data to call it healthy. */
  data: WindowTally;
  latency: { window: string; samples: number; p95: number | null };
  /** The target's own 7-day p95 (for the relative latency rule), when known. */
  baselineP95: number | null;
}

/** Exact nearest-rank percentile: the smallest value with at least q of the values at or below it. */
export function nearestRank(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1]!;
}

function tally(outcomes: readonly Outcome[], window: WindowSetting, now: number): WindowTally {
  const out: WindowTally = { window: window.text, probes: 0, successes: 0, failures: 0, rateLimited: 0, quotaExceeded: 0 };
  for (const o of outcomes) {
    // Windows are (now - length, now]: a probe exactly one window old has left it.
    if (o.startedAt <= now - window.ms || o.startedAt > now) continue;
    out.probes += 1;
    if (o.ok) out.successes += 1;
    else if (o.errorClass !== null && AVAILABILITY_FAILURES.has(o.errorClass)) out.failures += 1;
    else if (o.errorClass === 'rate_limited') out.rateLimited += 1;
    else if (o.errorClass === 'quota_exceeded') out.quotaExceeded += 1;
  }
  return out;
}

function runs(newestFirst: readonly Outcome[]): Pick<Evidence, 'failureRun' | 'successRun' | 'misconfiguredRun'> {
  let successRun = 0;
  for (const o of newestFirst) {
    if (!o.ok) break;
    successRun += 1;
  }
  let failureRun = 0;
  for (const o of newestFirst) {
    if (o.ok || o.errorClass === null) break;
    if (o.errorClass === 'rate_limited' || o.errorClass === 'quota_exceeded') continue;
    if (!AVAILABILITY_FAILURES.has(o.errorClass)) break;
    failureRun += 1;
  }
  let misconfiguredRun = 0;
  for (const o of newestFirst) {
    if (o.ok || o.errorClass === null || !MISCONFIGURATION_CLASSES.has(o.errorClass)) break;
    misconfiguredRun += 1;
  }
  return { failureRun, successRun, misconfiguredRun };
}

/**
 * Turns recent outcomes (newest first: everything inside the longest window plus at least the
 * last few probes, however old) into the numbers the rules compare with thresholds.
 */
export function gatherEvidence(newestFirst: readonly Outcome[], t: ResolvedThresholds, now: number, baselineP95: number | null = null): Evidence {
  const latencies = newestFirst
    .filter((o) => o.ok && o.latencyMs !== null && o.startedAt > now - t.latencyWindow.ms && o.startedAt <= now)
    .map((o) => o.latencyMs!)
    .sort((a, b) => a - b);
  const longest = longestWindowMs(t);
  return {
    ...runs(newestFirst),
    major: tally(newestFirst, t.majorWindow, now),
    partial: tally(newestFirst, t.partialWindow, now),
    degraded: tally(newestFirst, t.degradedWindow, now),
    rateLimited: tally(newestFirst, t.rateLimitedWindow, now),
    data: tally(newestFirst, { text: [t.majorWindow, t.partialWindow, t.degradedWindow, t.latencyWindow, t.rateLimitedWindow].find((w) => w.ms === longest)!.text, ms: longest }, now),
    latency: { window: t.latencyWindow.text, samples: latencies.length, p95: nearestRank(latencies, 0.95) },
    baselineP95,
  };
}
