import { getRequestIP, type H3Event } from 'h3';
import type { Config } from '../config/schema.ts';
import type { Db } from '../db/connect.ts';
import { apiKeyDigest, digestsEqual, isWellFormedApiKey } from '../lib/api-key.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError, isAppError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { ApiKeyRecord, Scope } from '../store/keys.ts';
import { createConnectionDigests } from './auth-connections.ts';
import { createKeyCache, type CachedKey } from './auth-key-cache.ts';
import { createRateLimiter, monthPeriod, type GcraDecision } from './rate-limit.ts';
import { setAccessHeaders } from './api-response.ts';
import { anonymousRateLimitHeaders, createRateLimitHeaders, retryAfterSeconds, type QuotaState } from './rate-limit-headers.ts';
import type { RouteGuard } from './route.ts';
import { createUsageMeter, type UsageMeter } from './usage-meter.ts';

/** What the guard learned about the caller, for handlers such as `GET /v1/usage`. */
export interface CallerAccess {
  key: ApiKeyRecord;
  rate: GcraDecision;
  quota: QuotaState;
}

export interface ApiAccess {
  guard: RouteGuard;
  /**
   * For a /v1 answer no route gave (an unknown path: 404; a known path with another method: 405):
   * limited and counted against the key when a valid one was sent, else against the client
   * address, with the rate-limit headers every /v1 answer carries; no scope is needed to learn
   * that a path does not exist. Throws the 429 when the budget is spent.
   */
  admitUnrouted(event: H3Event): void | Promise<void>;
  meter: UsageMeter;
  /** Call after changing a key through this process's own connection (revoke). */
  forgetKeys(): void;
  start(): void;
  /** Writes pending usage; call before the database closes. */
  stop(): Promise<void>;
}

export interface ApiAccessDeps {
  db: Db;
  config: () => Config;
  clock: Clock;
  logger: Logger;
}

const CALLER = 'cappulseCaller';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

export function callerOf(event: H3Event): CallerAccess {
  const caller = (event.context as Record<string, unknown>)[CALLER] as CallerAccess | undefined;
  if (!caller) throw new AppError('unauthorized', 'this route needs an API key');
  return caller;
}

function unauthorized(message: string): AppError {
  return new AppError('unauthorized', message, { details: { headers: { 'www-authenticate': 'Bearer realm="cappulse"' } } });
}

/** The token of `Authorization: Bearer …`; its shape and checksum are checked before any database work. */
function bearerToken(header: string | null): string {
  const match = header === null ? null : BEARER.exec(header);
  if (match) return match[1]!;
  if (header === null || header.trim() === '') throw unauthorized('missing Authorization header (send "Authorization: Bearer cp_live_…")');
  throw unauthorized('malformed Authorization header (expected "Bearer cp_live_…")');
}

/**
 * The one gate in front of every /v1 handler: authenticate → rate limit → quota → scope → count.
 * Limits come before the scope check so a key cannot probe admin routes faster than its limit;
 * only requests that pass every check count against the monthly quota.
 */
export function createApiAccess(deps: ApiAccessDeps): ApiAccess {
  const limiter = createRateLimiter();
  // Per client address, for answers without a valid key (see admitAnonymous).
  const anonymous = createRateLimiter();
  const meter = createUsageMeter({ db: deps.db, logger: deps.logger });
  let pruneTimer: NodeJS.Timeout | undefined;

  const keys = createKeyCache(deps.db);
  const connections = createConnectionDigests();
  const writeRateLimitHeaders = createRateLimitHeaders();
  const presented = Buffer.alloc(32);
  // The calendar month of the last request: recomputed only when a request falls outside it.
  let month = { start: 0, end: 0 };
  const monthOf = (now: number) => (now >= month.start && now < month.end ? month : (month = monthPeriod(now)));

  /** The cached key the header names, hashed and compared in constant time; throws the 401. */
  const verify = (header: string | null, now: number): CachedKey => {
    const token = bearerToken(header);
    const digest = apiKeyDigest(token);
    // A cached digest belongs to a stored key, which was well formed; the checksum only has to
    // keep noise away from the database.
    let entry = keys.cached(digest, now);
    if (!entry) {
      if (!isWellFormedApiKey(token)) throw unauthorized('malformed API key (expected cp_live_ followed by 38 letters and digits with a valid checksum)');
      entry = keys.load(digest);
    }
    // Copied into one reused buffer: the guard is synchronous, so no other request can be using it.
    if (!entry || presented.write(digest, 'latin1') !== presented.length || !digestsEqual(entry.digest, presented)) throw unauthorized('unknown API key');
    return entry;
  };

  const authenticate = (event: H3Event, now: number): ApiKeyRecord => {
    const header = event.req.headers.get('authorization');
    // A keep-alive connection that sends the header it last authenticated with skips the hash,
    // not the key cache: a revoked or dropped key is looked up (and refused) as before.
    const remembered = header === null ? undefined : connections.recall(event, header);
    const entry = (remembered === undefined ? undefined : keys.cached(remembered, now)) ?? verify(header, now);
    const key = entry.record;
    if (key.revokedAt !== null) throw unauthorized('this API key has been revoked');
    if (key.expiresAt !== null && key.expiresAt <= now) throw unauthorized(`this API key expired at ${new Date(key.expiresAt).toISOString()}`);
    if (remembered === undefined) connections.remember(event, header!, entry.lookup);
    return key;
  };

  /**
   * Without a valid key there is no key to limit, so the client address is limited instead, as
   * GitHub does for unauthenticated calls: the OpenAPI document and every 401 spend from it, and
   * once it is spent a 401 becomes a 429, which also slows anyone guessing keys. Throws the 429.
   */
  const admitAnonymous = (event: H3Event, now: number): void => {
    const rate = anonymous.take(getRequestIP(event) ?? 'unknown', now, deps.config().api.anonymous_rate_limit_per_minute);
    setAccessHeaders(event, anonymousRateLimitHeaders(rate, now));
    if (!rate.allowed) throw rateLimited(rate, `requests without a valid API key from this address are limited to ${rate.limit} per minute`);
  };

  // Synchronous except the first request of a key in a month (its persisted count is loaded once):
  // a guard that never awaits costs the request no extra promise turns, and check-then-count
  // below cannot interleave with another request.
  const guard: RouteGuard = (event, route) => {
    const now = deps.clock.now();
    if (route.auth === 'none') return admitAnonymous(event, now);
    let key: ApiKeyRecord;
    try {
      key = authenticate(event, now);
    } catch (error) {
      if (isAppError(error) && error.code === 'unauthorized') admitAnonymous(event, now);
      throw error;
    }
    return admitKey(event, key, route.auth === 'admin' || WRITE_METHODS.has(event.req.method) ? 'admin' : 'read', route.path, now);
  };

  const admitUnrouted = (event: H3Event): void | Promise<void> => {
    const now = deps.clock.now();
    let key: ApiKeyRecord;
    try {
      key = authenticate(event, now);
    } catch (error) {
      if (isAppError(error) && error.code === 'unauthorized') return admitAnonymous(event, now);
      throw error;
    }
    return admitKey(event, key, null, event.url.pathname, now);
  };

  /** `needed` is the scope the route at `path` needs; null for an unrouted answer, which needs none. */
  const admitKey = (event: H3Event, key: ApiKeyRecord, needed: Scope | null, path: string, now: number): void | Promise<void> => {
    const period = monthOf(now);
    const used = meter.peek(key.id, period.start);
    // Peeked again after the load: another first request of the same key may have counted meanwhile.
    if (used === undefined) return meter.load(key.id, period.start).then(() => admit(event, needed, path, key, period, meter.peek(key.id, period.start) ?? 0, deps.clock.now()));
    admit(event, needed, path, key, period, used, now);
  };

  const admit = (event: H3Event, needed: Scope | null, path: string, key: ApiKeyRecord, period: { start: number; end: number }, used: number, now: number): void => {
    const api = deps.config().api;
    const quotaLimit = key.monthlyQuota ?? api.monthly_quota;
    const rate = limiter.take(key.id, now, key.rateLimit ?? api.rate_limit_per_minute);
    const quota: QuotaState = { limit: quotaLimit, used, periodStart: period.start, periodEnd: period.end };
    const quotaRefused = rate.allowed && used >= quotaLimit;
    const forbidden = rate.allowed && !quotaRefused && needed !== null && !hasScope(key, needed);
    if (rate.allowed && !quotaRefused && !forbidden) {
      meter.count(key.id, period.start, now);
      quota.used = used + 1;
    }
    // Set once, after the decision, so the headers already count this request when it is accepted.
    writeRateLimitHeaders(event, rate, quota, now, quotaRefused);

    if (!rate.allowed) throw rateLimited(rate, `rate limit of ${rate.limit} requests per minute exceeded`);
    if (quotaRefused) {
      throw new AppError('quota_exceeded', `monthly quota of ${quotaLimit} requests used up; it resets at ${new Date(period.end).toISOString()}`, {
        details: { headers: { 'retry-after': retryAfterSeconds(period.end - now) } },
      });
    }
    if (forbidden) throw new AppError('forbidden', `this API key lacks the "${needed}" scope needed for ${event.req.method} ${path}`);
    (event.context as Record<string, unknown>)[CALLER] = { key, rate, quota } satisfies CallerAccess;
  };

  return {
    guard,
    admitUnrouted,
    meter,
    forgetKeys: () => keys.forget(),
    start() {
      meter.start();
      pruneTimer ??= setInterval(() => {
        limiter.prune(deps.clock.now());
        anonymous.prune(deps.clock.now());
      }, 60_000).unref();
    },
    async stop() {
      if (pruneTimer) clearInterval(pruneTimer);
      pruneTimer = undefined;
      await meter.stop();
    },
  };
}

/** A 429 for a refused GCRA decision; `message` says which limit, the retry time is added. */
function rateLimited(rate: GcraDecision, message: string): AppError {
  return new AppError('rate_limit_exceeded', `${message}; retry in ${retryAfterSeconds(rate.retryAfterMs)} s`, {
    details: { headers: { 'retry-after': retryAfterSeconds(rate.retryAfterMs) } },
  });
}

/** `admin` includes `read`: an admin key can do everything a read key can. */
export function hasScope(key: Pick<ApiKeyRecord, 'scopes'>, needed: Scope): boolean {
  return key.scopes.includes('admin') || key.scopes.includes(needed);
}
