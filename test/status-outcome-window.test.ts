import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kysely } from 'kysely';
import { validateConfig } from '../src/config/load.ts';
import { resolveTargets } from '../src/config/targets.ts';
import { openDatabase } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type { Database } from '../src/db/schema.ts';
import type { ErrorClass, ProbeResult } from '../src/probe/types.ts';
import { createOutcomeWindows, UNUSED_COPY_MS } from '../src/scheduler/outcome-window.ts';
import { thresholdsFor, type ResolvedThresholds } from '../src/status/thresholds.ts';
import { syncCatalog } from '../src/store/catalog.ts';
import { storeTx } from '../src/store/compiled-once.ts';
import { createResultInserter, type StoredResult } from '../src/store/results.ts';
import { createStatusStatements, listOutcomes } from '../src/store/status.ts';
import { tempDir } from './helpers/temp.ts';

const MIN = 60_000;

/** What the status stage read before it kept copies: the window from the table, then the newest few. */
async function oracle(trx: Kysely<Database>, targetId: number, t: ResolvedThresholds, now: number) {
  const longest = Math.max(t.majorWindow.ms, t.partialWindow.ms, t.degradedWindow.ms, t.latencyWindow.ms, t.rateLimitedWindow.ms);
  const windowed = await listOutcomes(trx, targetId, { from: now - longest, to: now + 1 });
  const need = Math.max(t.majorConsecutiveFailures, t.recoverySuccesses);
  return windowed.length >= need ? windowed : listOutcomes(trx, targetId, { limit: Math.max(need, windowed.length) });
}

function lcg(seed: number) {
  let state = seed;
  return () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

/** A migrated file with one provider and two targets; `close` removes it. */
async function openWindowDb(now: number) {
  const dir = tempDir();
  const db = openDatabase(dir.file('w.db'));
  await migrateToLatest(db.kysely);
  const config = validateConfig({ providers: [{ slug: 'p', kind: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key: 'k', models: [{ slug: 'a' }, { slug: 'b' }] }] });
  const targets = await syncCatalog(db.kysely, resolveTargets(config), now);
  const close = async () => {
    await db.close();
    dir.remove();
  };
  return { db, targets, thresholds: thresholdsFor(config, 'p', 'a'), close };
}

test('the kept outcome windows give exactly what reading the table gives, whatever else writes it', async () => {
  let now = Date.UTC(2026, 10, 1);
  const { db, targets, thresholds: base, close } = await openWindowDb(now);
  try {
    // A reload can widen or narrow the windows and change how many newest rows the runs need.
    const variants: ResolvedThresholds[] = [
      base,
      { ...base, degradedWindow: { text: '2h', ms: 120 * MIN }, majorConsecutiveFailures: 6 },
      { ...base, majorWindow: { text: '1m', ms: MIN }, partialWindow: { text: '1m', ms: MIN }, degradedWindow: { text: '2m', ms: 2 * MIN }, latencyWindow: { text: '1m', ms: MIN }, rateLimitedWindow: { text: '1m', ms: MIN } },
    ];
    const windows = createOutcomeWindows(createStatusStatements());
    const insert = createResultInserter();
    const random = lcg(7);
    const classes: Array<ErrorClass | null> = [null, null, null, 'timeout', 'rate_limited', 'auth_error'];
    const result = (startedAt: number): ProbeResult => {
      const errorClass = classes[Math.floor(random() * classes.length)]!;
      return { startedAt, ok: errorClass === null, errorClass, httpStatus: 200, latencyMs: errorClass === null ? Math.round(random() * 900) : null, ttftMs: null, ttfbMs: null, outputTokens: null, requestId: null, rateLimit: null, errorMessage: null };
    };
    let t = base;
    let checks = 0;
    const evaluate = (trx: Kysely<Database>, targetId: number, stored: StoredResult | undefined) =>
      Promise.all([windows.recent(storeTx(db, trx), targetId, stored, t, now), oracle(trx, targetId, t, now)]).then(([kept, read]) => {
        assert.deepEqual(kept, read, `step ${checks}`);
        checks += 1;
      });

    for (let step = 0; step < 1500; step += 1) {
      const target = targets[Math.floor(random() * targets.length)]!;
      const roll = random();
      now += roll < 0.02 ? -5 * MIN : Math.floor(random() * 40_000);
      // Mostly fresh results; some late ones (a slow probe finishes after younger ones).
      const startedAt = now - (random() < 0.1 ? Math.floor(random() * 50 * MIN) : Math.floor(random() * 2000));
      if (roll < 0.05) t = variants[Math.floor(random() * variants.length)]!;
      if (roll < 0.1) {
        // Another writer (a second pipeline, a seed): rows the copy was not told about.
        insert(storeTx(db), target.id, result(startedAt));
      } else if (roll < 0.15) {
        // A transaction that stores and evaluates, then fails: its row id is used again next.
        await assert.rejects(
          db.kysely.transaction().execute(async (trx) => {
            await evaluate(trx, target.id, insert(storeTx(db, trx), target.id, result(startedAt)));
            throw new Error('rolled back');
          }),
        );
        // As the pipeline does when a transaction fails; without it the copy keeps the phantom
        // row, which the check cannot tell from the row that gets its id next (this test saw that).
        windows.forget(target.id);
      } else if (roll < 0.17) {
        await db.kysely.deleteFrom('probe_results').where('target_id', '=', target.id).where('started_at', '<', now - 20 * MIN).execute();
      } else {
        await db.kysely.transaction().execute(async (trx) => evaluate(trx, target.id, insert(storeTx(db, trx), target.id, result(startedAt))));
      }
    }
    assert.ok(checks > 1200);
  } finally {
    await close();
  }
});

test('the copy of a target no longer evaluated is dropped after an hour, and read again when needed', async () => {
  let now = Date.UTC(2026, 10, 1);
  const { db, targets, thresholds: t, close } = await openWindowDb(now);
  try {
    const windows = createOutcomeWindows(createStatusStatements());
    const insert = createResultInserter();
    const [used, removed] = targets as [(typeof targets)[number], (typeof targets)[number]];
    const store = (targetId: number) => insert(storeTx(db), targetId, { startedAt: now, ok: true, errorClass: null, httpStatus: 200, latencyMs: 120, ttftMs: null, ttfbMs: null, outputTokens: null, requestId: null, rateLimit: null, errorMessage: null });
    const evaluate = (targetId: number) => windows.recent(storeTx(db), targetId, store(targetId), t, now);
    await evaluate(used.id);
    await evaluate(removed.id);
    assert.equal(windows.keptTargets(), 2);
    now += UNUSED_COPY_MS / 2;
    await evaluate(used.id);
    assert.equal(windows.keptTargets(), 2, 'half an hour unused: still kept');
    now += UNUSED_COPY_MS / 2;
    await evaluate(used.id);
    assert.equal(windows.keptTargets(), 1, 'an hour unused: dropped');
    now += MIN;
    assert.deepEqual(await evaluate(removed.id), await oracle(db.kysely, removed.id, t, now), 'read again, the same rows');
    assert.equal(windows.keptTargets(), 2);
  } finally {
    await close();
  }
});
