import type { H3Event } from 'h3';
import type { Config } from '../config/schema.ts';
import type { Db } from '../db/connect.ts';
import { hashApiKey, hashesEqual, isWellFormedApiKey } from '../lib/api-key.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { createKeyLookup, toKeyRecord, type ApiKeyRecord, type ApiKeyRow, type KeyLookup, type Scope } from '../store/keys.ts';
import { createRateLimiter, monthPeriod, type GcraDecision } from './rate-limit.ts';
import { rateLimitHeaders, retryAfterSeconds, type QuotaState } from './rate-limit-headers.ts';
import type { ApiRoute, RouteGuard } from './route.ts';
import { createUsageMeter, type UsageMeter } from './usage-meter.ts';

/** What the guard learned about the caller, for handlers such as `GET /v1/usage`. */
export interface CallerAccess {
  key: ApiKeyRecord;
  rate: GcraDecision;
  quota: QuotaState;
}

export interface ApiAccess {
  guard: RouteGuard;
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

export function callerOf(event: H3Event): CallerAccess {
  const caller = (event.context as Record<string, unknown>)[CALLER] as CallerAccess | undefined;
  if (!caller) throw new AppError('unauthorized', 'this route needs an API key');
  return caller;
}

function unauthorized(message: string): AppError {
  return new AppError('unauthorized', message, { details: { headers: { 'www-authenticate': 'Bearer realm="cappulse"' } } });
}

/** `Authorization: Bearer cp_live_…`, checked for shape and checksum before any database work. */
function bearerToken(event: H3Event): string {
  const header = event.req.headers.get('authorization');
  if (header === null || header.trim() === '') throw unauthorized('missing Authorization header (send "Authorization: Bearer cp_live_…")');
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorized('malformed Authorization header (expected "Bearer cp_live_…")');
  const token = match[1]!;
  if (!isWellFormedApiKey(token)) throw unauthorized('malformed API key (expected cp_live_ followed by 38 letters and digits with a valid checksum)');
  return token;
}

/**
 * The one gate in front of every /v1 handler: authenticate → rate limit → quota → scope → count.
 * Limits come before the scope check so a key cannot probe admin routes faster than its limit;
 * only requests that pass every check count against the monthly quota.
 */
export function createApiAccess(deps: ApiAccessDeps): ApiAccess {
  const limiter = createRateLimiter();
  const meter = createUsageMeter({ db: deps.db, logger: deps.logger });
  let pruneTimer: NodeJS.Timeout | undefined;

  let lookup: KeyLookup | undefined;
  // Key rows by hash, so most requests need no database read. Dropped as a whole when another
  // connection commits (data_version moves: a CLI revoke takes effect on the next request) and
  // when this process revokes a key (forgetKeys). Expiry is checked on every request regardless.
  // Only hashes of existing keys are kept, so it is never larger than the api_keys table.
  const cache = new Map<string, { row: ApiKeyRow; record: ApiKeyRecord }>();
  let cachedVersion = -1;

  const authenticate = (event: H3Event): ApiKeyRecord => {
    const hash = hashApiKey(bearerToken(event));
    // Prepared on first use: the tables exist only once the app has migrated the database.
    lookup ??= createKeyLookup(deps.db);
    const version = lookup.version();
    if (version !== cachedVersion) {
      cache.clear();
      cachedVersion = version;
    }
    let entry = cache.get(hash);
    if (!entry) {
      const found = lookup.find(hash);
      if (found) cache.set(hash, (entry = { row: found, record: toKeyRecord(found) }));
    }
    if (!entry || !hashesEqual(entry.row.hash, hash)) throw unauthorized('unknown API key');
    const row = entry.row;
    if (row.revoked_at !== null) throw unauthorized('this API key has been revoked');
    if (row.expires_at !== null && row.expires_at <= deps.clock.now()) {
      throw unauthorized(`this API key expired at ${new Date(row.expires_at).toISOString()}`);
    }
    return entry.record;
  };

  // Synchronous except the first request of a key in a month (its persisted count is loaded once):
  // a guard that never awaits costs the request no extra promise turns, and check-then-count
  // below cannot interleave with another request.
  const guard: RouteGuard = (event, route) => {
    if (route.auth === 'none') return;
    const key = authenticate(event);
    const period = monthPeriod(deps.clock.now());
    if (meter.peek(key.id, period.start) === undefined) return meter.load(key.id, period.start).then(() => admit(event, route, key, period));
    admit(event, route, key, period);
  };

  const admit = (event: H3Event, route: ApiRoute, key: ApiKeyRecord, period: { start: number; end: number }): void => {
    const api = deps.config().api;
    const now = deps.clock.now();
    const quotaLimit = key.monthlyQuota ?? api.monthly_quota;
    const used = meter.peek(key.id, period.start) ?? 0;
    const rate = limiter.take(key.id, now, key.rateLimit ?? api.rate_limit_per_minute);
    const quota: QuotaState = { limit: quotaLimit, used, periodStart: period.start, periodEnd: period.end };
    const quotaRefused = rate.allowed && used >= quotaLimit;
    const needed: Scope = route.auth === 'admin' || WRITE_METHODS.has(event.req.method) ? 'admin' : 'read';
    const forbidden = rate.allowed && !quotaRefused && !hasScope(key, needed);
    if (rate.allowed && !quotaRefused && !forbidden) {
      meter.count(key.id, period.start, now);
      quota.used = used + 1;
    }
    // Set once, after the decision, so the headers already count this request when it is accepted.
    const headers = rateLimitHeaders(rate, quota, now, quotaRefused);
    for (const name in headers) event.res.headers.set(name, headers[name]!);

    if (!rate.allowed) {
      throw new AppError('rate_limit_exceeded', `rate limit of ${rate.limit} requests per minute exceeded; retry in ${retryAfterSeconds(rate.retryAfterMs)} s`, {
        details: { headers: { 'retry-after': retryAfterSeconds(rate.retryAfterMs) } },
      });
    }
    if (quotaRefused) {
      throw new AppError('quota_exceeded', `monthly quota of ${quotaLimit} requests used up; it resets at ${new Date(period.end).toISOString()}`, {
        details: { headers: { 'retry-after': retryAfterSeconds(period.end - now) } },
      });
    }
    if (forbidden) throw new AppError('forbidden', `this API key lacks the "${needed}" scope needed for ${event.req.method} ${route.path}`);
    (event.context as Record<string, unknown>)[CALLER] = { key, rate, quota } satisfies CallerAccess;
  };

  return {
    guard,
    meter,
    forgetKeys: () => cache.clear(),
    start() {
      meter.start();
      pruneTimer ??= setInterval(() => limiter.prune(deps.clock.now()), 60_000).unref();
    },
    async stop() {
      if (pruneTimer) clearInterval(pruneTimer);
      pruneTimer = undefined;
      await meter.stop();
    },
  };
}

/** `admin` includes `read`: an admin key can do everything a read key can. */
export function hasScope(key: Pick<ApiKeyRecord, 'scopes'>, needed: Scope): boolean {
  return key.scopes.includes('admin') || key.scopes.includes(needed);
}
