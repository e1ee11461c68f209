import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { validateConfig } from '../src/config/load.ts';
import { resolveTargets } from '../src/config/targets.ts';
import { openDatabase, type Db } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createMemoryLogger } from '../src/lib/logger.ts';
import type { ProbeResult } from '../src/probe/types.ts';
import { createPipeline, type PipelineStage } from '../src/scheduler/pipeline.ts';
import { syncCatalog, type CatalogTarget } from '../src/store/catalog.ts';
import { tempDir } from './helpers/temp.ts';

// The pipeline takes SQLite's one connection synchronously when it is free (src/db/connection-lock.ts);
// kysely's queries and transactions wait for the same lock. Neither may run inside the other's
// transaction: a write would be committed or rolled back with someone else's work.

const ok: ProbeResult = { startedAt: Date.UTC(2026, 0, 1), ok: true, errorClass: null, httpStatus: 200, latencyMs: 120, ttftMs: 80, ttfbMs: 40, outputTokens: 1, requestId: null, rateLimit: null, errorMessage: null };

const dir = tempDir();
let db: Db;
let target: CatalogTarget;
before(async () => {
  db = openDatabase(dir.file('lock.db'));
  await migrateToLatest(db.kysely);
  const config = validateConfig({ providers: [{ slug: 'p', kind: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key: 'k', models: [{ slug: 'a' }] }] });
  [target] = (await syncCatalog(db.kysely, resolveTargets(config), ok.startedAt)) as [CatalogTarget];
});
after(async () => {
  await db.close();
  dir.remove();
});

/** Rows stored at this started_at, read by a raw statement (it waits for nobody). */
const rowsAt = (startedAt: number) => (db.sqlite.prepare('select count(*) as n from probe_results where started_at = ?').get(startedAt) as { n: number }).n;

/** A row written through kysely, outside the pipeline. */
const kyselyRow = (kysely: Db['kysely'], startedAt: number) => kysely.insertInto('probe_results').values({ target_id: target.id, started_at: startedAt, ok: 1 }).execute();

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

const settledYet = async (promise: Promise<unknown>) => {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  // Long enough for any chain of promises and a few turns of the event loop.
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
  return settled;
};

test('a probe stored while a kysely transaction holds the connection waits for it, and is not rolled back with it', async () => {
  const pipeline = createPipeline({ db, stages: [], afterCommit: [], logger: createMemoryLogger() });
  const held = gate();
  const entered = gate();
  const theirs = db.kysely.transaction().execute(async (trx) => {
    await kyselyRow(trx, 1_000);
    entered.open();
    await held.opened;
    throw new Error('their rollback');
  });
  await entered.opened;
  const ours = pipeline.record(target, { ...ok, startedAt: 2_000 });
  assert.equal(await settledYet(ours), false, 'the probe waited for the open transaction');
  held.open();
  await assert.rejects(theirs, /their rollback/);
  const stored = await ours;
  assert.equal(stored.startedAt, 2_000);
  assert.equal(rowsAt(2_000), 1, 'the probe was stored in a transaction of its own');
  assert.equal(rowsAt(1_000), 0, 'their row went with their rollback');
});

test('kysely waits while a probe transaction is held across an async stage, and is not rolled back with it', async () => {
  const held = gate();
  const entered = gate();
  const stages: PipelineStage[] = [
    {
      name: 'slow, then failing',
      apply: async () => {
        entered.open();
        await held.opened;
        throw new Error('stage failed');
      },
    },
  ];
  const pipeline = createPipeline({ db, stages, afterCommit: [], logger: createMemoryLogger() });
  const ours = pipeline.record(target, { ...ok, startedAt: 3_000 });
  await entered.opened;
  const theirs = kyselyRow(db.kysely, 4_000);
  assert.equal(await settledYet(theirs), false, 'the kysely write waited for the probe transaction');
  held.open();
  await assert.rejects(ours, /stage failed/);
  await theirs;
  assert.equal(rowsAt(3_000), 0, 'the probe transaction was rolled back');
  assert.equal(rowsAt(4_000), 1, 'the kysely write was not part of it');
});

test('a probe whose stages are synchronous commits, rolls back on a thrown error, and lets go of the connection either way', async () => {
  let fail = false;
  const rolledBack: string[] = [];
  const events: number[] = [];
  const stages: PipelineStage[] = [
    { name: 'outbox', apply: () => 2, rolledBack: (t) => rolledBack.push(t.key) },
    {
      name: 'flaky',
      apply: () => {
        if (fail) throw new Error('disk full');
      },
    },
  ];
  const pipeline = createPipeline({ db, stages, afterCommit: [{ name: 'spy', run: (_t, _s, committed) => events.push(committed.outboxEvents) }], logger: createMemoryLogger() });
  await pipeline.record(target, { ...ok, startedAt: 5_000 });
  assert.equal(rowsAt(5_000), 1);
  assert.deepEqual(events, [2]);

  fail = true;
  await assert.rejects(pipeline.record(target, { ...ok, startedAt: 6_000 }), /disk full/);
  assert.equal(rowsAt(6_000), 0);
  assert.deepEqual(rolledBack, ['p/a']);
  assert.deepEqual(events, [2], 'no hook for a rolled-back transaction');
  assert.equal(db.sqlite.inTransaction, false);
  // Let go: kysely gets the connection.
  await kyselyRow(db.kysely, 7_000);
  assert.equal(rowsAt(7_000), 1);
});
