import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from '../src/config/load.ts';
import { resolveTargets } from '../src/config/targets.ts';
import { openDatabase } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createMemoryLogger } from '../src/lib/logger.ts';
import type { ProbeResult } from '../src/probe/types.ts';
import { createPipeline, type Committed, type PipelineStage } from '../src/scheduler/pipeline.ts';
import { syncCatalog } from '../src/store/catalog.ts';
import { countResults } from '../src/store/results.ts';
import { tempDir } from './helpers/temp.ts';

const ok: ProbeResult = { startedAt: Date.UTC(2026, 0, 1), ok: true, errorClass: null, httpStatus: 200, latencyMs: 120, ttftMs: 80, ttfbMs: 40, outputTokens: 1, requestId: null, rateLimit: null, errorMessage: null };

test('hooks learn how many outbox events a committed transaction wrote; a rolled-back one tells its stages and no hook', async () => {
  const dir = tempDir();
  const db = openDatabase(dir.file('p.db'));
  try {
    await migrateToLatest(db.kysely);
    const config = validateConfig({ providers: [{ slug: 'p', kind: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key: 'k', models: [{ slug: 'a' }] }] });
    const [target] = await syncCatalog(db.kysely, resolveTargets(config), ok.startedAt);
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

    await pipeline.record(target!, ok);
    events = 3;
    await pipeline.record(target!, ok);
    assert.deepEqual(seen, [{ outboxEvents: 0 }, { outboxEvents: 3 }]);
    assert.deepEqual(rolledBack, []);
    assert.deepEqual(committedSaw, [1, 2], 'each committed() ran after its own result was visible outside the transaction');

    fail = true;
    await assert.rejects(pipeline.record(target!, ok), /disk full/);
    assert.equal(seen.length, 2, 'no hook runs for a transaction that did not commit');
    assert.deepEqual(rolledBack, ['quiet p/a']);
    assert.deepEqual(committedSaw, [1, 2], 'committed() is not called for a rolled-back transaction');
    assert.equal(await countResults(db.kysely), 2);
  } finally {
    await db.close();
    dir.remove();
  }
});
