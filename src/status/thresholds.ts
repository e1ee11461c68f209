import type { Config } from '../config/schema.ts';
import type { ThresholdOverrides, Thresholds } from '../config/thresholds.ts';
import { parseDuration } from '../lib/durations.ts';

/** One window rule's setting: the duration as written (for causes) and in milliseconds (for math). */
export interface WindowSetting {
  text: string;
  ms: number;
}

/** Thresholds with every override applied and every duration parsed, ready for the rules. */
export interface ResolvedThresholds {
  majorConsecutiveFailures: number;
  majorErrorRate: number;
  majorWindow: WindowSetting;
  partialErrorRate: number;
  partialWindow: WindowSetting;
  degradedErrorRate: number;
  degradedWindow: WindowSetting;
  latencyP95Ms: number | null;
  latencyP95Relative: number | null;
  latencyWindow: WindowSetting;
  rateLimitedShare: number;
  rateLimitedWindow: WindowSetting;
  minProbes: number;
  minLatencySamples: number;
  recoveryEvaluations: number;
  recoverySuccesses: number;
  reopenWithin: WindowSetting;
}

function windowOf(text: string): WindowSetting {
  // The config schema has already checked every duration; a miss here is a programming error.
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`not a duration: ${text}`);
  return { text, ms };
}

/** Model overrides beat provider overrides, which beat the global section. */
export function mergeThresholds(global: Thresholds, ...overrides: Array<ThresholdOverrides | undefined>): ResolvedThresholds {
  const merged: Record<string, unknown> = { ...global };
  for (const layer of overrides) {
    for (const [key, value] of Object.entries(layer ?? {})) if (value !== undefined) merged[key] = value;
  }
  const t = merged as Thresholds;
  return {
    majorConsecutiveFailures: t.major_consecutive_failures,
    majorErrorRate: t.major_error_rate,
    majorWindow: windowOf(t.major_window),
    partialErrorRate: t.partial_error_rate,
    partialWindow: windowOf(t.partial_window),
    degradedErrorRate: t.degraded_error_rate,
    degradedWindow: windowOf(t.degraded_window),
    latencyP95Ms: t.latency_p95_ms,
    latencyP95Relative: t.latency_p95_relative,
    latencyWindow: windowOf(t.latency_window),
    rateLimitedShare: t.rate_limited_share,
    rateLimitedWindow: windowOf(t.rate_limited_window),
    minProbes: t.min_probes,
    minLatencySamples: t.min_latency_samples,
    recoveryEvaluations: t.recovery_evaluations,
    recoverySuccesses: t.recovery_successes,
    reopenWithin: windowOf(t.reopen_within),
  };
}

/** The thresholds of one target (provider × model); with no model, the provider's own. */
export function thresholdsFor(config: Config, providerSlug: string, modelSlug?: string): ResolvedThresholds {
  const provider = config.providers.find((p) => p.slug === providerSlug);
  const model = modelSlug === undefined ? undefined : provider?.models.find((m) => m.slug === modelSlug);
  return mergeThresholds(config.thresholds, provider?.thresholds, model?.thresholds);
}

/** The longest window any rule looks at: how far back the evaluation must read. */
export function longestWindowMs(t: ResolvedThresholds): number {
  return Math.max(t.majorWindow.ms, t.partialWindow.ms, t.degradedWindow.ms, t.latencyWindow.ms, t.rateLimitedWindow.ms);
}
