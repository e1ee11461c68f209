import type { CatalogTarget } from '../store/catalog.ts';

/**
 * The measurement of one probe. Probe failures are data, not exceptions: an adapter always
 * returns one of these.
 */
export const ERROR_CLASSES = [
  'timeout',
  'network',
  'overloaded',
  'server_error',
  'bad_response',
  'rate_limited',
  'quota_exceeded',
  'auth_error',
  'client_error',
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** Classes that count against availability (DESIGN.md §4). */
export const AVAILABILITY_FAILURES: ReadonlySet<ErrorClass> = new Set(['timeout', 'network', 'overloaded', 'server_error', 'bad_response']);
export const RATE_LIMIT_CLASSES: ReadonlySet<ErrorClass> = new Set(['rate_limited', 'quota_exceeded']);
export const MISCONFIGURATION_CLASSES: ReadonlySet<ErrorClass> = new Set(['auth_error', 'client_error']);

/** Rate-limit headers normalized across providers; resets are absolute epoch milliseconds. */
export interface RateLimitSnapshot {
  requests_limit: number | null;
  requests_remaining: number | null;
  requests_reset_at: number | null;
  tokens_limit: number | null;
  tokens_remaining: number | null;
  tokens_reset_at: number | null;
  retry_after_ms: number | null;
}

export interface ProbeResult {
  /** Wall-clock start, epoch ms. */
  startedAt: number;
  ok: boolean;
  errorClass: ErrorClass | null;
  httpStatus: number | null;
  /** Request sent → end of stream (or full body). */
  latencyMs: number | null;
  /** Request sent → first content token. */
  ttftMs: number | null;
  /** Request sent → first response byte. */
  ttfbMs: number | null;
  outputTokens: number | null;
  requestId: string | null;
  rateLimit: RateLimitSnapshot | null;
  /** Short, secret-free. */
  errorMessage: string | null;
}

export type ProbeTarget = CatalogTarget;
