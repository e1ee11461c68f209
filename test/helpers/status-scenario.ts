import { createManualClock } from '../../src/lib/clock.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { listEvents, type EventEnvelope } from '../../src/store/events.ts';
import { startTestApp, type TestApp } from './app.ts';
import { startFakeProvider, type FakeProvider, type ScriptStep } from './fake-provider.ts';
import { createTestKeys, type TestKeys } from './keys.ts';
import { openaiError, openaiStream } from './provider-fixtures.ts';

/**
 * Status scenarios end to end: a scripted fake provider over real HTTP, the app's own probe and
 * pipeline (every stage createApp wires, in one transaction per result), and its /v1 API. Wall time
 * is a manual clock moved one probe interval per probe; only the probe's own stopwatch is real.
 */
export const INTERVAL_MS = 30_000;

export const ok = (delayMs = 0): ScriptStep => openaiStream({ firstTokenDelayMs: delayMs });
export const fail500 = (): ScriptStep => openaiError(500, 'server_error', null, 'The server had an error while processing your request.');
export const rateLimited = (): ScriptStep => openaiError(429, 'requests', 'rate_limit_exceeded', 'Rate limit reached for requests', { 'retry-after': '1' });

export interface Scenario {
  t: TestApp;
  fake: FakeProvider;
  keys: TestKeys;
  clock: ReturnType<typeof createManualClock>;
  /**
   * Advances the clock (one interval unless told), then probes `model` with the fake answering
   * `step`, `slowByMs` later on the probe's stopwatch.
   */
  probe(model: string, step: ScriptStep, advanceMs?: number, slowByMs?: number): Promise<void>;
  /** Outbox event types written so far, in order. */
  eventTypes(): Promise<string[]>;
  events(): Promise<EventEnvelope[]>;
  get(path: string): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export async function startScenario(options: { models?: string[]; thresholds?: Record<string, unknown>; extra?: Partial<ConfigInput> } = {}): Promise<Scenario> {
  const fake = await startFakeProvider(ok());
  const wall = createManualClock(Date.UTC(2026, 10, 26, 12));
  // Wall time is scripted. Durations are measured for real, plus a scripted skew: a "slow" answer
  // moves the probe's stopwatch forward when the request arrives, so it is slow by exactly that
  // much without the test waiting, and a loaded machine cannot make a fast answer look slow.
  let skew = 0;
  const clock = Object.assign(wall, { monotonic: () => performance.now() + skew });
  const models = options.models ?? ['m1'];
  const t = await startTestApp(
    {
      // Once a year: the scheduler must not probe on its own during a scenario.
      defaults: { schedule: '0 0 1 1 *' },
      providers: [{ slug: 'acme', name: 'Acme AI', kind: 'openai', base_url: `${fake.url}/v1`, api_key: 'sk-scenario-0123456789', models: models.map((slug) => ({ slug })) }],
      ...(options.thresholds ? { thresholds: options.thresholds } : {}),
      ...options.extra,
    },
    { clock },
  );
  const keys = await createTestKeys(t);
  return {
    t,
    fake,
    keys,
    clock,
    async probe(model, step, advanceMs = INTERVAL_MS, slowByMs = 0) {
      wall.advance(advanceMs);
      fake.setDefault(() => {
        skew += slowByMs;
        return step;
      });
      await t.app.probeNow(`acme/${model}`);
    },
    events: () => listEvents(t.app.db.kysely),
    eventTypes: async () => (await listEvents(t.app.db.kysely)).map((e) => e.type),
    async get(path) {
      const res = await fetch(`${t.url}${path}`, { headers: keys.auth() });
      return { status: res.status, body: await res.json() };
    },
    async stop() {
      await t.stop();
      await fake.close();
    },
  };
}

/** Half an hour of healthy probes, so every window starts full, as in a long-running monitor. */
export async function warmUp(s: Scenario, models: readonly string[] = ['m1'], probes = 60): Promise<void> {
  // Every model once per interval, as the scheduler would probe them.
  for (let i = 0; i < probes; i++) for (const [index, model] of models.entries()) await s.probe(model, ok(), index === 0 ? INTERVAL_MS : 1);
}
