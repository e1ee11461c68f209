import type { ConfigInput } from '../../src/config/schema.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { createMemoryLogger } from '../../src/lib/logger.ts';
import type { ProbeResult } from '../../src/probe/types.ts';
import { createPipeline } from '../../src/scheduler/pipeline.ts';
import { createRollupStage } from '../../src/scheduler/rollup-stage.ts';
import type { StatusName } from '../../src/store/status-read.ts';
import { addIncidentUpdate, saveIncident } from '../../src/store/incidents.ts';
import { saveProviderStatus, saveTargetStatus } from '../../src/store/status.ts';
import { startTestApp, type TestApp } from './app.ts';
import { probeResult, seededRandom } from './metrics-db.ts';

/**
 * Data for dashboard tests, written through the store's own writers: results through the real
 * pipeline step with the rollup stage (so rollups and raw rows agree as in production), status
 * rows and incidents through the status store. The app's clock is manual and its scheduler
 * never fires, so pages render at a known `now` over known data.
 */
export const NOW = Date.UTC(2026, 10, 26, 12, 0, 30);

export async function startDashboardApp(config: ConfigInput = {}, now = NOW): Promise<TestApp> {
  const clock = createManualClock(now);
  // Once a year: the scheduler must not probe on its own.
  return startTestApp({ ...config, defaults: { schedule: '0 0 1 1 *', ...config.defaults } }, { clock });
}

function targetOf(t: TestApp, key: string) {
  const target = t.app.targets().find((x) => x.key === key);
  if (!target) throw new Error(`no target ${key}`);
  return target;
}

export async function recordResults(t: TestApp, key: string, results: ReadonlyArray<Partial<ProbeResult> & { startedAt: number }>): Promise<void> {
  const pipeline = createPipeline({ db: t.app.db, stages: [createRollupStage()], afterCommit: [], logger: createMemoryLogger() });
  const target = targetOf(t, key);
  for (const result of results) await pipeline.record(target, probeResult(result));
}

export interface HistoryShape {
  from: number;
  to: number;
  everyMs: number;
  /** Median latency; the spread is log-normal. */
  medianMs: number;
  errorRate: number;
  rateLimitedRate: number;
  seed: number;
}

/** Probes every `everyMs` over [from, to) with log-normal latencies and scattered failures. */
export async function seedHistory(t: TestApp, key: string, shape: HistoryShape): Promise<number> {
  const random = seededRandom(shape.seed);
  const results: Array<Partial<ProbeResult> & { startedAt: number }> = [];
  for (let at = shape.from; at < shape.to; at += shape.everyMs) {
    const roll = random();
    // Box-Muller: a normal in log space gives the long right tail real latencies have.
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const latencyMs = shape.medianMs * Math.exp(0.35 * normal);
    if (roll < shape.errorRate) results.push({ startedAt: at, errorClass: 'server_error' });
    else if (roll < shape.errorRate + shape.rateLimitedRate) results.push({ startedAt: at, errorClass: 'rate_limited' });
    else results.push({ startedAt: at, latencyMs, ttftMs: latencyMs * 0.6 });
  }
  await recordResults(t, key, results);
  return results.length;
}

export async function setStatus(t: TestApp, providerSlug: string, status: StatusName, since: number, models: Record<string, StatusName> = {}): Promise<void> {
  const provider = t.app.targets().find((x) => x.providerSlug === providerSlug);
  if (!provider) throw new Error(`no provider ${providerSlug}`);
  await t.app.db.kysely.transaction().execute(async (trx) => {
    await saveProviderStatus(trx, provider.providerId, { status, since, maintenance: false }, since);
    for (const [model, modelStatus] of Object.entries(models)) {
      const target = targetOf(t, `${providerSlug}/${model}`);
      await saveTargetStatus(trx, target.id, { status: modelStatus, since, cause: null, clearEvaluations: 0, maintenance: false, baselineP95Ms: null, baselineAt: null }, since);
    }
  });
}

export interface SeededIncident {
  id: string;
  providerSlug: string;
  title: string;
  models: string[];
  startedAt: number;
  resolvedAt: number | null;
}

/** An incident opened by an error-rate rule, escalated, and (when resolvedAt is set) resolved. */
export async function seedIncident(t: TestApp, incident: SeededIncident): Promise<void> {
  const provider = t.app.targets().find((x) => x.providerSlug === incident.providerSlug);
  if (!provider) throw new Error(`no provider ${incident.providerSlug}`);
  const model = incident.models[0] ?? 'm1';
  const opened = { rule: 'partial_error_rate', value: 0.25, threshold: 0.2, window: '15m', samples: 32, model };
  const escalated = { rule: 'consecutive_failures', value: 3, threshold: 3, window: null, samples: 3, model };
  const base = { incidentId: incident.id, affectedModels: incident.models };
  await t.app.db.kysely.transaction().execute(async (trx) => {
    await saveIncident(
      trx,
      {
        id: incident.id,
        providerId: provider.providerId,
        status: incident.resolvedAt === null ? 'open' : 'resolved',
        severity: 'major_outage',
        scope: 'model',
        affectedModels: incident.models,
        title: incident.title,
        cause: escalated,
        startedAt: incident.startedAt,
        updatedAt: incident.resolvedAt ?? incident.startedAt + 60_000,
        resolvedAt: incident.resolvedAt,
      },
      true,
    );
    await addIncidentUpdate(trx, { ...base, at: incident.startedAt, kind: 'opened', status: 'open', severity: 'partial_outage', message: `Opened: partial outage; ${model}: error rate 25% over 15m`, cause: opened });
    await addIncidentUpdate(trx, { ...base, at: incident.startedAt + 60_000, kind: 'severity_changed', status: 'open', severity: 'major_outage', message: `Severity partial outage → major outage; ${model}: 3 consecutive availability failures`, cause: escalated });
    if (incident.resolvedAt !== null) {
      await addIncidentUpdate(trx, { ...base, at: incident.resolvedAt, kind: 'resolved', status: 'resolved', severity: 'major_outage', message: `Resolved: ${model}: 2 successes in a row`, cause: { rule: 'recovery', value: 2, threshold: 2, window: null, samples: 2, model } });
    }
  });
}
