import type { Kysely } from 'kysely';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import type { Clock } from '../lib/clock.ts';
import { parseDuration } from '../lib/durations.ts';
import type { Logger } from '../lib/logger.ts';
import { claimDue, nextDueAt, type ClaimedDelivery } from '../store/deliveries.ts';
import { pruneDeliveredBefore } from '../store/delivery-history.ts';
import { sendAttempt, type AttemptSettings } from './attempt.ts';
import { configEndpoints } from './config-endpoints.ts';
import { createPoster, type Poster } from './post.ts';
import { createSettler } from './settle.ts';
import { assertUrlAllowed } from './ssrf.ts';

/**
 * The deliverer: claim due deliveries with a lease → POST → mark or back off. Woken right after a
 * commit that added deliveries, after each finished POST (a slot is free, and the next update of
 * the same incident may now go), and by a timer set to the next due time (at most `pollMs`, so
 * deliveries written by another process are found too).
 *
 * Caps: `webhooks.concurrency` POSTs in flight overall and `webhooks.endpoint_concurrency` per
 * endpoint, so one slow receiver cannot take every slot.
 */
export interface DelivererOptions {
  db: Kysely<Database>;
  config: () => Config;
  clock: Clock;
  logger: Logger;
  userAgent: string;
  random?: () => number;
  pollMs?: number;
  poster?: Poster;
}

export interface Deliverer {
  start(): void;
  /** Look at the queue now. Cheap; safe to call after every commit. */
  wake(): void;
  /** Resolves once nothing is in flight and a look at the queue found nothing due. */
  idle(): Promise<void>;
  /** Stops claiming and waits for the POSTs in flight. */
  stop(): Promise<void>;
}

const PRUNE_EVERY_MS = 3_600_000;

function ms(text: string, fallback: number): number {
  return parseDuration(text) ?? fallback;
}

export function createDeliverer(options: DelivererOptions): Deliverer {
  const { db, clock, config } = options;
  const log = options.logger.child('webhooks');
  const random = options.random ?? Math.random;
  const pollMs = options.pollMs ?? 1000;
  const timeoutMs = () => ms(config().webhooks.timeout, 15_000);
  const poster = options.poster ?? createPoster({ policy: () => ({ allowPrivate: config().webhooks.allow_private, allowHosts: config().webhooks.allow_hosts }), timeoutMs, monotonic: () => clock.monotonic() });

  const inflight = new Map<string, Promise<void>>();
  const perEndpoint = new Map<string, number>();
  let running = false;
  let pumping: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let lastPrune = Number.NEGATIVE_INFINITY;
  let idleWaiters: Array<() => void> = [];
  const secretCache = new WeakMap<Config, Map<string, string>>();

  const settings = (): AttemptSettings => ({
    userAgent: options.userAgent,
    retrySchedule: config().webhooks.retry_schedule.map((step) => ms(step, 0)),
    disableAfterMs: ms(config().webhooks.disable_after, 5 * 86_400_000),
    random,
  });

  const secretsOf = (claim: ClaimedDelivery): string[] => {
    if (claim.source === 'config') {
      const current = config();
      let byId = secretCache.get(current);
      if (!byId) {
        byId = new Map(configEndpoints(current).map((e) => [e.id, e.secret]));
        secretCache.set(current, byId);
      }
      const secret = byId.get(claim.endpointId);
      return secret === undefined ? [] : [secret];
    }
    const out = claim.secret === null ? [] : [claim.secret];
    if (claim.previousSecret !== null && (claim.previousSecretExpiresAt ?? 0) > clock.now()) out.push(claim.previousSecret);
    return out;
  };

  const settle = createSettler(db, settings, log);

  const launch = (claim: ClaimedDelivery) => {
    perEndpoint.set(claim.endpointId, (perEndpoint.get(claim.endpointId) ?? 0) + 1);
    const task = sendAttempt({ clock, poster }, claim, secretsOf(claim), settings())
      .then(settle)
      .then(
        () => undefined,
        (error) => log.error('delivery_attempt_crashed', { delivery: claim.id, error }),
      )
      .finally(() => {
        inflight.delete(claim.id);
        const left = (perEndpoint.get(claim.endpointId) ?? 1) - 1;
        if (left <= 0) perEndpoint.delete(claim.endpointId);
        else perEndpoint.set(claim.endpointId, left);
        wake();
      });
    inflight.set(claim.id, task);
  };

  const claimRound = async (): Promise<number> => {
    const { concurrency, endpoint_concurrency: endpointCap } = config().webhooks;
    let claimedTotal = 0;
    for (;;) {
      const free = concurrency - inflight.size;
      if (free <= 0 || !running) break;
      const full = [...perEndpoint].filter(([, n]) => n >= endpointCap).map(([id]) => id);
      const claims = await claimDue(db, {
        now: clock.now(),
        limit: free,
        leaseMs: 2 * timeoutMs() + 1000,
        skipEndpoints: full,
        // A wall clock that jumps forward (suspend, NTP step) can expire the lease of a POST that
        // is still in flight here; claiming it again would send it twice.
        skipDeliveries: [...inflight.keys()],
        perEndpoint: (id) => endpointCap - (perEndpoint.get(id) ?? 0),
      });
      for (const claim of claims) launch(claim);
      claimedTotal += claims.length;
      if (claims.length === 0) break;
    }
    return claimedTotal;
  };

  const schedule = async (claimed: number) => {
    if (!running) return;
    let delay = pollMs;
    // While POSTs are in flight each one wakes us when it ends; the queue is read only when idle.
    const due = inflight.size > 0 ? undefined : await nextDueAt(db);
    if (due !== undefined) {
      const wait = due - clock.now();
      // Due now but nothing was claimable (caps, order, another worker's lease): a finished POST
      // wakes us, and the poll catches the rest.
      delay = wait > 0 ? Math.min(wait, pollMs) : claimed > 0 ? 0 : pollMs;
    }
    clearTimeout(timer);
    timer = setTimeout(wake, delay);
    timer.unref();
  };

  const prune = async () => {
    if (clock.now() - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = clock.now();
    const keep = ms(config().storage.retention.webhook_history, 30 * 86_400_000);
    const removed = await pruneDeliveredBefore(db, clock.now() - keep);
    if (removed > 0) log.info('deliveries_pruned', { removed });
  };

  const pump = async () => {
    do {
      again = false;
      const claimed = await claimRound();
      await prune();
      await schedule(claimed);
    } while (again && running);
  };

  let wakeQueued = false;
  /** Wakes coalesce to one look per turn of the event loop: many POSTs ending together refill in one claim. */
  function wake(): void {
    if (!running || wakeQueued) return;
    wakeQueued = true;
    setImmediate(() => {
      wakeQueued = false;
      look();
    });
  }

  function look(): void {
    if (!running) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = pump()
      .catch((error) => {
        log.error('deliverer_failed', { error });
        if (running) timer = setTimeout(wake, pollMs).unref();
      })
      .finally(() => {
        pumping = undefined;
        // A wake that arrived after the loop's last check must not be lost.
        if (again && running) return look();
        if (inflight.size === 0) {
          const waiters = idleWaiters;
          idleWaiters = [];
          for (const resolve of waiters) resolve();
        }
      });
  }

  // Config endpoints are not checked when saved (there is no save): say at start-up which ones the
  // SSRF guard will refuse, rather than only in their delivery history.
  const warnRefused = async () => {
    const { allow_private: allowPrivate, allow_hosts: allowHosts } = config().webhooks;
    for (const endpoint of configEndpoints(config())) {
      await assertUrlAllowed(endpoint.url, { allowPrivate, allowHosts }).catch((error: Error) => log.warn('endpoint_refused', { endpoint: endpoint.id, host: new URL(endpoint.url).host, reason: error.message }));
    }
  };

  return {
    start() {
      running = true;
      void warnRefused();
      wake();
    },
    wake,
    idle() {
      if (!running) return Promise.resolve();
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        wake();
      });
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      await pumping;
      await Promise.allSettled([...inflight.values()]);
      poster.close();
      for (const resolve of idleWaiters.splice(0)) resolve();
    },
  };
}
