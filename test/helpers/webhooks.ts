import type { ConfigInput } from '../../src/config/schema.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { enqueueEvent, type NewEvent } from '../../src/store/events.ts';
import { startTestApp, type TestApp } from './app.ts';
import { createTestKeys } from './keys.ts';
import { loadOpenApi } from './openapi.ts';

/**
 * The real app with a manual clock (starting at the real time, so Standard Webhooks' timestamp
 * check can be satisfied), jitter pinned to its middle (random = 0.5 → the scheduled delay
 * exactly), loopback receivers allowed, and an admin key for the routes. Every API answer is
 * checked against the served OpenAPI document by an external validator.
 */
export type WebhooksConfig = NonNullable<ConfigInput['webhooks']>;

export interface WebhookTestApp {
  t: TestApp;
  clock: ReturnType<typeof createManualClock>;
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Wakes the deliverer and waits until nothing due is left and nothing is in flight. */
  settle(): Promise<void>;
  /** Advances the clock, then settles. */
  advance(ms: number): Promise<void>;
  /** An event through the status engine's own entry point (enqueueEvent in a transaction). */
  emit(event: NewEvent): Promise<string>;
  stop(): Promise<void>;
}

export async function startWebhookApp(webhooks: WebhooksConfig = {}): Promise<WebhookTestApp> {
  const clock = createManualClock(Date.now());
  const t = await startTestApp(
    { webhooks: { allow_private: true, retry_schedule: ['0s', '5s', '5m', '30m'], timeout: '2s', ...webhooks } },
    { clock, random: () => 0.5 },
  );
  const keys = await createTestKeys(t);
  const openApi = await loadOpenApi(t.url);
  const settle = async () => {
    t.app.deliverer.wake();
    await t.app.deliverer.idle();
  };
  return {
    t,
    clock,
    async api(method, path, body) {
      const res = await openApi.fetch(path, { method, headers: keys.auth('admin'), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { status: res.status, body: res.body };
    },
    settle,
    async advance(ms) {
      clock.advance(ms);
      await settle();
    },
    async emit(event) {
      const envelope = await t.app.db.kysely.transaction().execute((trx) => enqueueEvent(trx, event, clock.now()));
      t.app.deliverer.wake();
      return envelope.id;
    },
    stop: () => t.stop(),
  };
}
