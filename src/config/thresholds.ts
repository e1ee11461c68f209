import { z } from 'zod';
import { duration, ratio, positiveInt } from './fields.ts';

/**
 * Status rule thresholds (DESIGN.md §6). Every field is optional at the provider and model level,
 * where it overrides the global value; the global section fills in the defaults.
 */
const thresholdFields = {
  major_consecutive_failures: positiveInt.describe('Consecutive availability failures that mean a major outage.'),
  major_error_rate: ratio.describe('Availability error share that means a major outage.'),
  major_window: duration.describe('Window for major_error_rate.'),
  partial_error_rate: ratio.describe('Availability error share that means a partial outage.'),
  partial_window: duration.describe('Window for partial_error_rate.'),
  degraded_error_rate: ratio.describe('Availability error share that means degraded.'),
  degraded_window: duration.describe('Window for degraded_error_rate.'),
  latency_p95_ms: z.number().positive().nullable().describe('p95 latency (ms) above which a target is degraded; null turns the rule off.'),
  latency_p95_relative: z
    .number()
    .gt(1)
    .nullable()
    .describe("Degraded when the window's p95 exceeds this multiple of the target's own 7-day p95; null turns it off."),
  latency_window: duration.describe('Window for the latency rules.'),
  rate_limited_share: ratio.describe('Share of rate-limited or quota-exceeded probes that means degraded (rate limiting).'),
  rate_limited_window: duration.describe('Window for rate_limited_share.'),
  min_probes: positiveInt.describe('Fewest probes in a window before a rate rule may fire.'),
  min_latency_samples: positiveInt.describe('Fewest successful probes before a p95 rule may fire.'),
  recovery_evaluations: positiveInt.describe('Consecutive clear evaluations needed to recover.'),
  recovery_successes: positiveInt.describe('Consecutive successful probes needed to recover.'),
  reopen_within: duration.describe('An incident that recurs within this time reopens instead of opening a new one.'),
};

export const THRESHOLD_DEFAULTS = {
  major_consecutive_failures: 3,
  major_error_rate: 0.5,
  major_window: '10m',
  partial_error_rate: 0.2,
  partial_window: '15m',
  degraded_error_rate: 0.05,
  degraded_window: '30m',
  latency_p95_ms: null,
  latency_p95_relative: null,
  latency_window: '30m',
  rate_limited_share: 0.2,
  rate_limited_window: '15m',
  min_probes: 5,
  min_latency_samples: 20,
  recovery_evaluations: 2,
  recovery_successes: 2,
  reopen_within: '15m',
} as const;

export const thresholdsSchema = z.strictObject({
  major_consecutive_failures: thresholdFields.major_consecutive_failures.default(THRESHOLD_DEFAULTS.major_consecutive_failures),
  major_error_rate: thresholdFields.major_error_rate.default(THRESHOLD_DEFAULTS.major_error_rate),
  major_window: thresholdFields.major_window.default(THRESHOLD_DEFAULTS.major_window),
  partial_error_rate: thresholdFields.partial_error_rate.default(THRESHOLD_DEFAULTS.partial_error_rate),
  partial_window: thresholdFields.partial_window.default(THRESHOLD_DEFAULTS.partial_window),
  degraded_error_rate: thresholdFields.degraded_error_rate.default(THRESHOLD_DEFAULTS.degraded_error_rate),
  degraded_window: thresholdFields.degraded_window.default(THRESHOLD_DEFAULTS.degraded_window),
  latency_p95_ms: thresholdFields.latency_p95_ms.default(THRESHOLD_DEFAULTS.latency_p95_ms),
  latency_p95_relative: thresholdFields.latency_p95_relative.default(THRESHOLD_DEFAULTS.latency_p95_relative),
  latency_window: thresholdFields.latency_window.default(THRESHOLD_DEFAULTS.latency_window),
  rate_limited_share: thresholdFields.rate_limited_share.default(THRESHOLD_DEFAULTS.rate_limited_share),
  rate_limited_window: thresholdFields.rate_limited_window.default(THRESHOLD_DEFAULTS.rate_limited_window),
  min_probes: thresholdFields.min_probes.default(THRESHOLD_DEFAULTS.min_probes),
  min_latency_samples: thresholdFields.min_latency_samples.default(THRESHOLD_DEFAULTS.min_latency_samples),
  recovery_evaluations: thresholdFields.recovery_evaluations.default(THRESHOLD_DEFAULTS.recovery_evaluations),
  recovery_successes: thresholdFields.recovery_successes.default(THRESHOLD_DEFAULTS.recovery_successes),
  reopen_within: thresholdFields.reopen_within.default(THRESHOLD_DEFAULTS.reopen_within),
});

/** Per-provider / per-model overrides: the same keys, all optional, no defaults. */
export const thresholdOverridesSchema = z.strictObject(
  Object.fromEntries(Object.entries(thresholdFields).map(([key, field]) => [key, field.optional()])) as {
    [K in keyof typeof thresholdFields]: z.ZodOptional<(typeof thresholdFields)[K]>;
  },
);

export type Thresholds = z.output<typeof thresholdsSchema>;
export type ThresholdOverrides = z.output<typeof thresholdOverridesSchema>;
