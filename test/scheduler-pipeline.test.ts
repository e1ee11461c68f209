import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from '../src/config/load.ts';
import { resolveTargets } from '../src/config/targets.ts';
import { openDatabase, type Db } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createMemoryLogger } from '../src/lib/logger.ts';
import type { ProbeResult } from '../src/probe/types.ts';
import { createPipeline, type Committed, type PipelineStage } from '../src/scheduler/pipeline.ts';
import { syncCatalog, type CatalogTarget } from '../src/store/catalog.ts';
import { countResults, latestResults } from '../src/store/results.ts';
import { tempDir } from './helpers/temp.ts';

const ok: ProbeResult = { startedAt: Date.UTC(2026, 0, 1), ok: true, errorClass: null, httpStatus: 200, latencyMs: 120, ttftMs: 80, ttfbMs: 40, outputTokens: 1, requestId: null, rateLimit: null, errorMessage: null };

/** A fresh database with one target, removed after `work`. */
async function withOneTarget(work: (db: Db, target: CatalogTarget) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const db = openDatabase(dir.file('p.db'));
  try {
    await migrateToLatest(db.kysely);
    const config = validateConfig({ providers: [{ slug: 'p', kind: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key: 'k', models: [{ slug: 'a' }] }] });
    const [target] = await syncCatalog(db.kysely, resolveTargets(config), ok.startedAt);
    await work(db, target!);
  } finally {
    await db.close();
    dir.remove();
  }
}

test('hooks learn how many outbox events a committed transaction wrote; a rolled-back one tells its stages and no hook', () =>
  withOneTarget(async (db, target) => {
    let events = 0;
    let fail = false;
    const rolledBack: string[] = [];
    // What a stage's committed() sees: the result is already visible outside the transaction.
    const committedSaw: number[] = [];
    const stages: PipelineStage[] = [
      {
        name: 'quiet',
        apply: async () => undefined,
        rolledBack: (t) => rolledBack.push(`quiet ${t.key}`),
        committed: () => committedSaw.push((db.sqlite.prepare('select count(*) as n from probe_results').get() as { n: number }).n),
      },
      { name: 'outbox', apply: async () => events },
      {
        name: 'flaky',
        apply: async () => {
          if (fail) throw new Error('disk full');
        },
      },
    ];
    const seen: Committed[] = [];
    const pipeline = createPipeline({ db, stages, afterCommit: [{ name: 'spy', run: (_t, _s, committed) => seen.push(committed) }], logger: createMemoryLogger() });

    await pipeline.record(target, ok);
    events = 3;
    await pipeline.record(target, ok);
    assert.deepEqual(seen, [{ outboxEvents: 0 }, { outboxEvents: 3 }]);
    assert.deepEqual(rolledBack, []);
    assert.deepEqual(committedSaw, [1, 2], 'each committed() ran after its own result was visible outside the transaction');

    fail = true;
    await assert.rejects(pipeline.record(target, ok), /disk full/);
    assert.equal(seen.length, 2, 'no hook runs for a transaction that did not commit');
    assert.deepEqual(rolledBack, ['quiet p/a']);
    assert.deepEqual(committedSaw, [1, 2], 'committed() is not called for a rolled-back transaction');
    assert.equal(await countResults(db.kysely), 2);
  }));

test('every field of a result comes back from its own column', () =>
  withOneTarget(async (db, target) => {
    // A distinct value in every field, so two columns bound in each other's place cannot pass.
    const limited: ProbeResult = {
      startedAt: ok.startedAt + 1,
      ok: false,
      errorClass: 'rate_limited',
      httpStatus: 429,
      latencyMs: 31.5,
      ttftMs: 21.25,
      ttfbMs: 11.125,
      outputTokens: 7,
      requestId: 'req_42',
      rateLimit: { requests_limit: 100, requests_remaining: 0, requests_reset_at: ok.startedAt + 60_000, tokens_limit: 5000, tokens_remaining: 12, tokens_reset_at: ok.startedAt + 6_000, retry_after_ms: 2_000 },
      errorMessage: 'slow down',
    };
    const pipeline = createPipeline({ db, stages: [], afterCommit: [], logger: createMemoryLogger() });
    const stored = await pipeline.record(target, limited);
    assert.deepEqual(stored, { ...limited, id: stored.id, targetId: target.id });
    assert.deepEqual(await latestResults(db.kysely, target.id, 1), [stored]);
  }));
