import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { failPendingDeliveries, finishAttempts, type ClaimedDelivery, type DeliveryStatus } from '../store/deliveries.ts';
import { disableEndpoint, markEndpointFailing, markEndpointHealthy } from '../store/webhooks.ts';
import type { Poster, PostResult } from './post.ts';
import { nextRetry, parseRetryAfter } from './retry.ts';
import { signatureHeaders } from './sign.ts';

/**
 * One attempt of one claimed delivery: sign → POST → decide → mark. The decision, per answer:
 *
 * | answer                          | delivery                          | endpoint                       |
 * |---------------------------------|-----------------------------------|--------------------------------|
 * | 2xx                             | delivered                         | failure clock cleared          |
 * | 410 Gone                        | failed                            | disabled, its queue failed     |
 * | other status, timeout, network  | retry per schedule, else failed   | failure clock runs; disabled   |
 * |                                 | (Retry-After honoured)            | once it has run `disableAfter` |
 */
export interface AttemptSettings {
  userAgent: string;
  retrySchedule: readonly number[];
  disableAfterMs: number;
  random: () => number;
}

export interface AttemptDeps {
  clock: Clock;
  poster: Poster;
}

export type Verdict = { status: DeliveryStatus; nextAttemptAt: number | null; disable: string | null };

export function judge(result: PostResult, claim: ClaimedDelivery, settings: AttemptSettings, now: number): Verdict {
  if (result.status !== null && result.status >= 200 && result.status < 300) return { status: 'delivered', nextAttemptAt: null, disable: null };
  if (result.status === 410) return { status: 'failed', nextAttemptAt: null, disable: 'the receiver answered 410 Gone' };
  const retry = nextRetry(settings.retrySchedule, claim.roundAttempt, settings.random, parseRetryAfter(result.retryAfter, now));
  if (retry.kind === 'give_up') return { status: 'failed', nextAttemptAt: null, disable: null };
  return { status: 'pending', nextAttemptAt: now + retry.delayMs, disable: null };
}

function describe(result: PostResult): string | null {
  if (result.error !== null) return result.error;
  if (result.status !== null && (result.status < 200 || result.status >= 300)) return `HTTP ${result.status}`;
  return null;
}

/** What one POST produced, waiting to be written. */
export interface Sent {
  claim: ClaimedDelivery;
  startedAt: number;
  now: number;
  result: PostResult;
  verdict: Verdict;
  error: string | null;
}

/** Sign and POST one claimed delivery, and judge the answer. No database work. */
export async function sendAttempt(deps: AttemptDeps, claim: ClaimedDelivery, secrets: readonly string[], settings: AttemptSettings): Promise<Sent> {
  const { clock, poster } = deps;
  const startedAt = clock.now();
  let result: PostResult;
  if (secrets.length === 0) {
    result = { status: null, retryAfter: null, excerpt: null, error: 'no signing secret for this endpoint (is its config entry or environment variable gone?)', durationMs: 0 };
  } else {
    const headers = {
      'content-type': 'application/json',
      'user-agent': settings.userAgent,
      'x-cappulse-event': claim.eventType,
      'x-cappulse-delivery': claim.id,
      ...signatureHeaders(secrets, claim.eventId, startedAt, claim.payload),
    };
    result = await poster.post(claim.url, headers, claim.payload);
  }
  const now = clock.now();
  return { claim, startedAt, now, result, verdict: judge(result, claim, settings, now), error: describe(result) };
}

export interface Settled {
  applied: boolean;
  disabled: string | null;
}

/**
 * Writes attempts that ended together, and their consequences, inside the caller's transaction.
 * For each: whether its lease was still held and, if its endpoint was disabled, why.
 */
export async function settleAttempts(trx: Kysely<Database>, sent: readonly Sent[], settings: AttemptSettings): Promise<Settled[]> {
  const applied = await finishAttempts(
    trx,
    sent.map(({ claim, result, verdict, now, startedAt, error }) => ({
      claim,
      record: { attempt: claim.attempt, startedAt, durationMs: result.durationMs, httpStatus: result.status, responseExcerpt: result.excerpt, error },
      outcome: { status: verdict.status, nextAttemptAt: verdict.nextAttemptAt, now },
    })),
  );
  const out: Settled[] = [];
  for (const { claim, verdict, now } of sent) {
    // A worker that lost its lease records what it saw but decides nothing.
    if (!applied.has(claim.id)) {
      out.push({ applied: false, disabled: null });
      continue;
    }
    let disable = verdict.disable;
    if (verdict.status !== 'delivered') {
      const since = await markEndpointFailing(trx, claim.endpointId, now);
      if (disable === null && now - since >= settings.disableAfterMs) disable = `every delivery has failed since ${new Date(since).toISOString()}`;
    } else if (claim.endpointFailing) await markEndpointHealthy(trx, claim.endpointId);
    if (disable !== null) {
      await disableEndpoint(trx, claim.endpointId, disable, now);
      await failPendingDeliveries(trx, claim.endpointId, `endpoint disabled: ${disable}`, now);
    }
    out.push({ applied: true, disabled: disable });
  }
  return out;
}

export function logSettled(logger: Logger, sent: Sent, outcome: Settled): void {
  const { claim, result, verdict } = sent;
  const fields = { delivery: claim.id, event: claim.eventId, endpoint: claim.endpointId, attempt: claim.attempt, status: result.status ?? undefined, ms: Math.round(result.durationMs) };
  if (!outcome.applied) logger.warn('delivery_lease_lost', fields);
  else if (verdict.status === 'delivered') logger.debug('delivered', fields);
  else logger.info(verdict.status === 'failed' ? 'delivery_failed' : 'delivery_retry', { ...fields, error: sent.error ?? undefined, next_attempt_at: verdict.nextAttemptAt === null ? undefined : new Date(verdict.nextAttemptAt).toISOString() });
  if (outcome.disabled !== null) logger.warn('endpoint_disabled', { endpoint: claim.endpointId, reason: outcome.disabled });
}
