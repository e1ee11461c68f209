import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createManualClock } from '../src/lib/clock.ts';
import type { ProbeResult } from '../src/probe/types.ts';
import { createPipeline } from '../src/scheduler/pipeline.ts';
import { createRollupStage } from '../src/scheduler/rollup-stage.ts';
import { createStatusStage } from '../src/scheduler/status-stage.ts';
import { listEvents } from '../src/store/events.ts';
import { startTestApp } from './helpers/app.ts';

const success = (at: number, latencyMs: number): ProbeResult => ({
  startedAt: at,
  ok: true,
  errorClass: null,
  httpStatus: 200,
  latencyMs,
  ttftMs: latencyMs / 2,
  ttfbMs: 10,
  outputTokens: 1,
  requestId: null,
  rateLimit: null,
  errorMessage: null,
});

test('relative latency rule: degraded when the 30-minute p95 exceeds 2× the target\'s own 7-day p95 (from the rollups)', async () => {
  const clock = createManualClock(Date.UTC(2026, 10, 26, 8));
  const t = await startTestApp(
    {
      defaults: { schedule: '0 0 1 1 *' },
      thresholds: { latency_p95_relative: 2 },
      providers: [{ slug: 'acme', kind: 'openai', base_url: 'http://127.0.0.1:9/v1', models: [{ slug: 'm1' }] }],
    },
    { clock },
  );
  try {
    // Crafted results through the real stages: latencies exact, no network in the way.
    const pipeline = createPipeline({
      db: t.app.db,
      stages: [createRollupStage(), createStatusStage({ config: () => t.app.config(), clock, logger: t.app.logger })],
      afterCommit: [],
      logger: t.app.logger,
    });
    const target = t.app.targets()[0]!;
    const record = async (latencyMs: number) => {
      clock.advance(30_000);
      await pipeline.record(target, success(clock.now(), latencyMs));
    };
    // Two hours at 100 ms: the baseline settles at a p95 of 100 ms.
    for (let i = 0; i < 240; i++) await record(100);
    // 150 ms is above the baseline but within 2×: nothing.
    for (let i = 0; i < 10; i++) await record(150);
    assert.deepEqual((await listEvents(t.app.db.kysely)).map((e) => e.type), []);
    // 300 ms answers: once they are more than 5% of the window, its p95 is 300 > 2 × 100.
    for (let i = 0; i < 4; i++) await record(300);
    const events = await listEvents(t.app.db.kysely);
    assert.deepEqual(events.map((e) => e.type), ['incident.created', 'provider.degraded']);
    const cause = (events[0]!.data as any).incident.cause;
    assert.equal(cause.rule, 'latency_p95_relative');
    assert.equal(cause.value, 300);
    assert.ok(Math.abs(cause.threshold - 200) <= 2, `threshold ${cause.threshold} is 2 × the 7-day p95 of 100 ms`);
  } finally {
    await t.stop();
  }
});
