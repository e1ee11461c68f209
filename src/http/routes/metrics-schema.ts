import { z } from 'zod';
import { slug } from '../../config/fields.ts';
import { OUTCOMES } from '../../stats/aggregate.ts';
import type { Headline, MetricsObject } from '../../stats/metrics-object.ts';
import { WINDOW_NAMES } from '../../stats/windows.ts';
import type { StatusView } from '../../store/status-read.ts';
import { isoOrNull } from '../../lib/time.ts';

/** Response schemas shared by the provider and model routes, with one worked example each. */
export const STATUS_NAMES = ['operational', 'degraded', 'partial_outage', 'major_outage', 'unknown', 'misconfigured'] as const;

export const statusFields = {
  status: z.enum(STATUS_NAMES).describe('Current status; `unknown` until enough probes have been evaluated.'),
  since: z.string().nullable().describe('When the status last changed (null: never evaluated).'),
  maintenance: z.boolean().describe('A maintenance window covers it now.'),
};

export function statusView(view: StatusView): { status: StatusView['status']; since: string | null; maintenance: boolean } {
  return { status: view.status, since: isoOrNull(view.since), maintenance: view.maintenance };
}

/** A window name, with the error a wrong one gets (the API, the dashboard and /metrics share it). */
export const windowName = z.enum(WINDOW_NAMES, { error: 'must be 1h, 24h or 7d' });

export const windowQuery = z.strictObject({
  window: windowName.default('24h').meta({ example: '1h' }).describe('The window ending now: 1h (1-minute series), 24h (15-minute series) or 7d (hourly series).'),
});

/** `{slug}` of a provider or model; the example is the slug of the route's example response. */
export function slugParams(example: string) {
  return z.strictObject({ slug: slug.meta({ example }) });
}

const counts = z.object(Object.fromEntries(OUTCOMES.map((outcome) => [outcome, z.number().int()])) as Record<(typeof OUTCOMES)[number], z.ZodNumber>);

const valueSummary = z
  .object({ p50: z.number(), p90: z.number(), p95: z.number(), p99: z.number(), mean: z.number(), max: z.number(), samples: z.number().int() })
  .nullable()
  .describe('Milliseconds over successful probes, percentiles from merged t-digests (within 1% rank error); null without a sample.');

const snapshot = z.object({
  requests_limit: z.number().nullable(),
  requests_remaining: z.number().nullable(),
  requests_reset_at: z.string().nullable().describe('When the request limit resets (ISO 8601 instant).'),
  tokens_limit: z.number().nullable(),
  tokens_remaining: z.number().nullable(),
  tokens_reset_at: z.string().nullable().describe('When the token limit resets (ISO 8601 instant).'),
  retry_after_ms: z.number().nullable(),
});

export const headlineSchema = z.object({
  probes: z.number().int().describe('Every probe in the window.'),
  counts: counts.describe('Probes by outcome: ok, then each error class.'),
  availability: z.number().nullable().describe('ok / (ok + timeout, network, overloaded, server_error, bad_response); null with none of those.'),
  error_rate: z.number().nullable().describe('1 − availability.'),
  rate_limited_rate: z.number().nullable().describe('(rate_limited + quota_exceeded) / probes.'),
  latency_ms: valueSummary,
  ttft_ms: valueSummary,
  rate_limit: z.object({
    latest: snapshot.nullable().describe('The newest normalized rate-limit snapshot; null when the provider sent none.'),
    latest_at: z.string().nullable(),
    lowest_ratio: z.number().nullable().describe('Lowest remaining/limit seen (requests or tokens).'),
  }),
});

export const metricsSchema = headlineSchema.extend({
  window: z.enum(WINDOW_NAMES),
  from: z.string(),
  to: z.string(),
  series: z.object({
    bucket: z.enum(['1m', '15m', '1h']),
    points: z.array(
      z.object({
        start: z.string(),
        probes: z.number().int(),
        error_rate: z.number().nullable(),
        rate_limited_rate: z.number().nullable(),
        p95_ms: z.number().nullable(),
      }),
    ),
  }),
});

export const EXAMPLE_HEADLINE: Headline = {
  probes: 2880,
  counts: { ok: 2841, timeout: 6, network: 2, overloaded: 9, server_error: 4, bad_response: 0, rate_limited: 18, quota_exceeded: 0, auth_error: 0, client_error: 0 },
  availability: 2841 / 2862,
  error_rate: 1 - 2841 / 2862,
  rate_limited_rate: 18 / 2880,
  latency_ms: { p50: 612.4, p90: 1180.2, p95: 1544.9, p99: 3210.7, mean: 731.5, max: 9412.3, samples: 2841 },
  ttft_ms: { p50: 388.1, p90: 702.6, p95: 951.3, p99: 2114.8, mean: 446.2, max: 8120.4, samples: 2841 },
  rate_limit: {
    latest: { requests_limit: 500, requests_remaining: 497, requests_reset_at: '2026-11-26T16:00:00.000Z', tokens_limit: 30000, tokens_remaining: 29990, tokens_reset_at: '2026-11-26T16:00:00.000Z', retry_after_ms: null },
    latest_at: '2026-11-26T15:59:30.000Z',
    lowest_ratio: 0.02,
  },
};

export const EXAMPLE_METRICS: MetricsObject = {
  window: '24h',
  from: '2026-11-25T16:00:00.000Z',
  to: '2026-11-26T16:00:00.000Z',
  ...EXAMPLE_HEADLINE,
  series: {
    bucket: '15m',
    points: [
      { start: '2026-11-25T16:00:00.000Z', probes: 30, error_rate: 0, rate_limited_rate: 0, p95_ms: 1490.2 },
      { start: '2026-11-25T16:15:00.000Z', probes: 30, error_rate: 0.1, rate_limited_rate: 0.0333, p95_ms: 2210.5 },
    ],
  },
};
