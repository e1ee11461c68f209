import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryLogger } from '../src/lib/logger.ts';
import type { ErrorClass } from '../src/probe/types.ts';
import { createPipeline } from '../src/scheduler/pipeline.ts';
import { createRollupStage } from '../src/scheduler/rollup-stage.ts';
import { storeTx } from '../src/store/compiled-once.ts';
import { createRollupWriter } from '../src/store/rollups.ts';
import { rebuildRollups } from '../src/store/rollups-rebuild.ts';
import { MINUTE } from '../src/stats/windows.ts';
import { openMetricsDb, probeResult, seededRandom, snapshot } from './helpers/metrics-db.ts';

/**
 * The rollup writer keeps each target's current buckets as it last wrote them instead of reading
 * them back for every result. Whatever else happens to the rows — another writer (a second
 * process), a rolled-back transaction the writer is told about or not, a rebuild, a row deleted
 * with its raw results (retention) — the rows it writes must be exactly the ones a rebuild from
 * the raw results gives, digests included.
 */
test('kept rollup buckets give exactly the rows a rebuild gives, whatever else writes them', async () => {
  const m = await openMetricsDb([{ slug: 'p', models: ['a', 'b'] }]);
  try {
    const db = m.db.kysely;
    const logger = createMemoryLogger();
    const main = createPipeline({ db: m.db, stages: [createRollupStage()], afterCommit: [], logger });
    // Another process storing results of the same targets: its own writer, its own copies.
    const other = createPipeline({ db: m.db, stages: [createRollupStage()], afterCommit: [], logger });
    let fail = false;
    const failing = createPipeline({
      db: m.db,
      stages: [
        createRollupStage(),
        {
          name: 'flaky',
          apply: () => {
            if (fail) throw new Error('disk full');
          },
        },
      ],
      afterCommit: [],
      logger,
    });
    // A writer whose rollbacks nobody reports (forget is never called): the row check must catch them.
    const unreported = createRollupWriter();
    const random = seededRandom(11);
    const classes: Array<ErrorClass | null> = [null, null, null, null, 'timeout', 'rate_limited'];
    const snapshotRows = async () => ({
      minute: await db.selectFrom('rollups_minute').selectAll().orderBy('target_id').orderBy('bucket').execute(),
      hour: await db.selectFrom('rollups_hour').selectAll().orderBy('target_id').orderBy('bucket').execute(),
    });
    const seen = { kept: 0, other: 0, rolledBack: 0, unreported: 0, late: 0, deleted: 0, rebuilt: 0 };

    let now = Date.UTC(2026, 0, 1, 10);
    for (let step = 0; step < 1200; step += 1) {
      now += Math.floor(random() * 9_000);
      const target = m.targets[Math.floor(random() * m.targets.length)]!;
      const errorClass = classes[Math.floor(random() * classes.length)]!;
      const late = random() < 0.05;
      const startedAt = late ? now - Math.floor(random() * 40 * MINUTE) : now;
      const latencyMs = 50 + Math.floor(random() * 2000) + random();
      const result = probeResult({
        startedAt,
        ok: errorClass === null,
        errorClass,
        latencyMs: errorClass === null ? latencyMs : null,
        ttftMs: errorClass === null ? latencyMs / 3 : null,
        rateLimit: random() < 0.3 ? snapshot(Math.floor(random() * 100), 100) : null,
      });
      const roll = random();
      if (late) seen.late += 1;
      if (roll < 0.08) {
        seen.other += 1;
        await other.record(target, result);
      } else if (roll < 0.12) {
        seen.rolledBack += 1;
        fail = true;
        await assert.rejects(failing.record(target, result), /disk full/);
        fail = false;
        // The same writer's next result in that bucket must not include the rolled-back one.
        await failing.record(target, probeResult({ ...result, startedAt: now }));
      } else if (roll < 0.15) {
        seen.unreported += 1;
        await assert.rejects(
          db.transaction().execute(async (trx) => {
            unreported.apply(storeTx(m.db, trx), target.id, result);
            throw new Error('rolled back');
          }),
        );
        unreported.apply(storeTx(m.db), target.id, probeResult({ ...result, startedAt: now }));
        // The row it wrote outside the pipeline has no raw result: store one, as the pipeline would.
        await db
          .insertInto('probe_results')
          .values({ target_id: target.id, started_at: now, ok: result.ok ? 1 : 0, error_class: result.errorClass, http_status: result.httpStatus, latency_ms: result.latencyMs, ttft_ms: result.ttftMs, rate_limit: result.rateLimit ? JSON.stringify(result.rateLimit) : null })
          .execute();
      } else if (roll < 0.17) {
        // Retention: the current minute's raw results and its rollup row go together.
        seen.deleted += 1;
        const minute = Math.floor(now / MINUTE) * MINUTE;
        await db.deleteFrom('probe_results').where('target_id', '=', target.id).where('started_at', '>=', minute).where('started_at', '<', minute + MINUTE).execute();
        await db.deleteFrom('rollups_minute').where('target_id', '=', target.id).where('bucket', '=', minute).execute();
        // The hour row no longer matches its raw results: rebuild it, as a user would.
        await rebuildRollups(db, { since: minute });
      } else if (roll < 0.18) {
        seen.rebuilt += 1;
        await rebuildRollups(db);
      } else {
        seen.kept += 1;
        await main.record(target, result);
      }
      if (step % 100 === 99) {
        const live = await snapshotRows();
        await rebuildRollups(db);
        assert.deepEqual(live, await snapshotRows(), `step ${step}: the written rows are the rebuilt ones`);
      }
    }
    for (const [what, count] of Object.entries(seen)) assert.ok(count > 10, `${what} happened ${count} times`);
    const live = await snapshotRows();
    assert.ok(live.minute.length > 100 && live.hour.length >= 4);
    await rebuildRollups(db);
    assert.deepEqual(live, await snapshotRows());
  } finally {
    await m.close();
  }
});

test('kept buckets of a target no longer written are dropped after an hour, and its rows are read again', async () => {
  const m = await openMetricsDb([{ slug: 'p', models: ['a', 'b'] }]);
  try {
    const writer = createRollupWriter();
    const [kept, dropped] = m.targets as [(typeof m.targets)[number], (typeof m.targets)[number]];
    const hour = Date.UTC(2026, 0, 1, 10);
    const apply = (targetId: number, startedAt: number) => writer.apply(storeTx(m.db), targetId, probeResult({ startedAt, ok: true, latencyMs: 100, ttftMs: 30 }));
    apply(kept.id, hour + 5 * MINUTE);
    apply(dropped.id, hour + 6 * MINUTE);
    assert.equal(writer.keptTargets(), 2);
    // The next hour: the other target's hour bucket is only one behind, still kept.
    apply(kept.id, hour + 65 * MINUTE);
    assert.equal(writer.keptTargets(), 2);
    // Two hours on (a reload removed it, say): dropped.
    apply(kept.id, hour + 125 * MINUTE);
    assert.equal(writer.keptTargets(), 1);
    // A late result in its old buckets reads the rows again instead of starting them afresh.
    apply(dropped.id, hour + 6 * MINUTE + 1);
    const hourRow = await m.db.kysely.selectFrom('rollups_hour').select('probes').where('target_id', '=', dropped.id).where('bucket', '=', hour).executeTakeFirstOrThrow();
    assert.equal(hourRow.probes, 2);
    const minuteRow = await m.db.kysely.selectFrom('rollups_minute').select('probes').where('target_id', '=', dropped.id).where('bucket', '=', hour + 6 * MINUTE).executeTakeFirstOrThrow();
    assert.equal(minuteRow.probes, 2);
  } finally {
    await m.close();
  }
});
