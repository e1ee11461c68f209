import { validateConfig } from '../../src/config/load.ts';
import { resolveTargets } from '../../src/config/targets.ts';
import { openDatabase, type Db } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createMemoryLogger } from '../../src/lib/logger.ts';
import type { ErrorClass, ProbeResult, RateLimitSnapshot } from '../../src/probe/types.ts';
import { createPipeline } from '../../src/scheduler/pipeline.ts';
import { createRollupStage } from '../../src/scheduler/rollup-stage.ts';
import { syncCatalog, type CatalogTarget } from '../../src/store/catalog.ts';
import { tempDir } from './temp.ts';

/**
 * A real SQLite file with a catalog and the real pipeline (insert result + rollup stage in one
 * transaction), for metrics tests that place results at exact instants.
 */
export interface MetricsDb {
  db: Db;
  targets: CatalogTarget[];
  target(provider: string, model: string): CatalogTarget;
  record(target: CatalogTarget, result: Partial<ProbeResult> & { startedAt: number }): Promise<void>;
  close(): Promise<void>;
}

export async function openMetricsDb(providers: Array<{ slug: string; models: string[] }>, now = Date.UTC(2026, 0, 1)): Promise<MetricsDb> {
  const dir = tempDir('cappulse-metrics-');
  const db = openDatabase(dir.file('metrics.db'));
  await migrateToLatest(db.kysely);
  const config = validateConfig(
    { providers: providers.map((p) => ({ slug: p.slug, kind: 'openai', base_url: `http://127.0.0.1:9/${p.slug}`, models: p.models.map((slug) => ({ slug })) })) },
    'test',
    {},
  );
  const targets = await syncCatalog(db.kysely, resolveTargets(config), now);
  const pipeline = createPipeline({ db, stages: [createRollupStage()], afterCommit: [], logger: createMemoryLogger() });
  return {
    db,
    targets,
    target(provider, model) {
      const found = targets.find((t) => t.providerSlug === provider && t.modelSlug === model);
      if (!found) throw new Error(`no target ${provider}/${model}`);
      return found;
    },
    async record(target, result) {
      await pipeline.record(target, probeResult(result));
    },
    async close() {
      await db.close();
      dir.remove();
    },
  };
}

export function probeResult(partial: Partial<ProbeResult> & { startedAt: number }): ProbeResult {
  const ok = partial.ok ?? (partial.errorClass === undefined || partial.errorClass === null);
  return {
    ok,
    errorClass: ok ? null : (partial.errorClass ?? 'server_error'),
    httpStatus: ok ? 200 : 500,
    latencyMs: ok ? 100 : null,
    ttftMs: ok ? 50 : null,
    ttfbMs: null,
    outputTokens: ok ? 1 : null,
    requestId: null,
    rateLimit: null,
    errorMessage: null,
    ...partial,
  };
}

export function snapshot(remaining: number, limit: number, tokensRemaining: number | null = null, tokensLimit: number | null = null): RateLimitSnapshot {
  return {
    requests_limit: limit,
    requests_remaining: remaining,
    requests_reset_at: null,
    tokens_limit: tokensLimit,
    tokens_remaining: tokensRemaining,
    tokens_reset_at: null,
    retry_after_ms: null,
  };
}

/** Small deterministic PRNG (mulberry32) so generated data is the same on every run. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SOME_CLASSES: ErrorClass[] = ['timeout', 'server_error', 'rate_limited', 'quota_exceeded', 'auth_error', 'overloaded'];
