/**
 * How long storing a result holds the main thread, with the WAL checkpointed by SQLite inside the
 * commits (`storage.checkpoint_thread: never`) and on the checkpoint thread (`always`).
 *
 * Each result goes through pipeline.record in its own transaction, as the app stores probes; the
 * time of every record() call is kept. SQLite's own checkpoint runs in the commit that takes the
 * WAL past 1 000 pages, and is two fsyncs: those commits are the long ones. Both modes write the
 * same results to their own file, in alternating rounds, so both see the same machine.
 *
 * Run: node --import tsx scripts/bench/checkpoints.ts   (about a minute)
 */
import { validateConfig } from '../../src/config/load.ts';
import { resolveTargets } from '../../src/config/targets.ts';
import type { CheckpointThreadMode } from '../../src/config/schema.ts';
import { createCheckpoints } from '../../src/db/checkpoints.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/lib/logger.ts';
import type { ProbeResult } from '../../src/probe/types.ts';
import { createPipeline } from '../../src/scheduler/pipeline.ts';
import { syncCatalog } from '../../src/store/catalog.ts';
import { tempDir } from '../../test/helpers/temp.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 4);
const PER_ROUND = Number(process.env.PER_ROUND ?? 2500);
/** One result every PACE_MS, as probes finish one after another rather than in a tight loop. */
const PACE_MS = Number(process.env.PACE_MS ?? 2);

const quiet = createLogger({ write: () => undefined });
const dir = tempDir('cappulse-bench-');

async function store(mode: CheckpointThreadMode) {
  const db = openDatabase(dir.file(`${mode}.db`));
  await migrateToLatest(db.kysely);
  const config = validateConfig({ providers: [{ slug: 'bench', kind: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key: 'sk-bench-000000', models: Array.from({ length: 100 }, (_, i) => ({ slug: `m${i}` })) }] });
  const targets = await syncCatalog(db.kysely, resolveTargets(config), Date.now());
  const checkpoints = createCheckpoints(db, { mode: () => mode, logger: quiet });
  await checkpoints.review();
  const pipeline = createPipeline({ db, stages: [], afterCommit: [{ name: 'checkpoints', run: () => checkpoints.wrote() }], logger: quiet });
  const result = (): ProbeResult => ({ startedAt: Date.now(), ok: true, errorClass: null, httpStatus: 200, latencyMs: 500.125, ttftMs: 499.5, ttfbMs: 499.25, outputTokens: 1, requestId: 'req_0123456789abcdef', rateLimit: null, errorMessage: null });
  return {
    async round(): Promise<number[]> {
      const times: number[] = [];
      for (let i = 0; i < PER_ROUND; i += 1) {
        const t0 = performance.now();
        await pipeline.record(targets[i % targets.length]!, result());
        times.push(performance.now() - t0);
        await new Promise((resolve) => setTimeout(resolve, PACE_MS));
      }
      return times;
    },
    async close() {
      await checkpoints.close();
      await db.close();
    },
  };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

const modes = ['never', 'always'] as const;
const stores = { never: await store('never'), always: await store('always') };
const times: Record<(typeof modes)[number], number[]> = { never: [], always: [] };
await stores.never.round(); // warm-up: JIT, statement cache, the first pages
await stores.always.round();
for (let round = 0; round < ROUNDS; round += 1) for (const mode of modes) times[mode].push(...(await stores[mode].round()));
for (const mode of modes) await stores[mode].close();
dir.remove();

console.log(`${ROUNDS} alternating rounds of ${PER_ROUND} results per mode, one every ${PACE_MS} ms, each in its own transaction\n`);
console.log('checkpoint_thread | results | record() p50 | p99     | p99.9   | max     | calls over 2 ms | time in them');
for (const mode of modes) {
  const sorted = [...times[mode]].sort((a, b) => a - b);
  const long = sorted.filter((t) => t > 2);
  console.log(
    `${mode.padEnd(17)} | ${String(sorted.length).padStart(7)} | ${percentile(sorted, 50).toFixed(3).padStart(9)} ms | ${percentile(sorted, 99).toFixed(2).padStart(4)} ms | ${percentile(sorted, 99.9).toFixed(2).padStart(4)} ms | ${sorted.at(-1)!.toFixed(2).padStart(4)} ms | ${String(long.length).padStart(15)} | ${long.reduce((a, b) => a + b, 0).toFixed(0).padStart(9)} ms`,
  );
}
