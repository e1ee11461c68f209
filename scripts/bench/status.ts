/**
 * What status evaluation adds to storing a probe result, measured in one run:
 *
 *   node --import tsx scripts/bench/status.ts [--results 3000]
 *
 * Ten targets of one provider, one result every 30 s (the default schedule) and then every 3 s
 * per target (wall time from a manual clock: the status windows hold 60 or 600 results),
 * mostly successes with failure bursts that open, step down and resolve incidents. The same
 * results go through `pipeline.record` (one transaction each) three times, into fresh files:
 * no stage (the baseline: the result insert alone), the rollups stage, and rollups + status.
 * Reported: wall and CPU time per stored result, and the ratio to the baseline.
 */
import { parseArgs } from 'node:util';
import { validateConfig } from '../../src/config/load.ts';
import { resolveTargets } from '../../src/config/targets.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import type { ProbeResult } from '../../src/probe/types.ts';
import { createPipeline, type PipelineStage } from '../../src/scheduler/pipeline.ts';
import { createRollupStage } from '../../src/scheduler/rollup-stage.ts';
import { createStatusStage } from '../../src/scheduler/status-stage.ts';
import { syncCatalog } from '../../src/store/catalog.ts';
import { listEvents } from '../../src/store/events.ts';
import { tempDir } from '../../test/helpers/temp.ts';

const { values } = parseArgs({ options: { results: { type: 'string', default: '2000' } } });
const RESULTS = Number(values.results);
/** Seconds between two probes of one target: the default schedule, and a ten times busier one. */
const SPACINGS_S = [30, 3];
const MODELS = Array.from({ length: 10 }, (_, i) => ({ slug: `m${i}` }));
const config = validateConfig({ defaults: { schedule: '0 0 1 1 *' }, providers: [{ slug: 'acme', kind: 'openai', base_url: 'http://127.0.0.1:9/v1', models: MODELS }] }, 'bench', {});

/** Per target, every 200th step starts a burst of 4 failures (model-dependent phase). */
function result(i: number, at: number): ProbeResult {
  const step = Math.floor(i / MODELS.length) + (i % MODELS.length) * 37;
  const ok = step % 200 >= 4;
  return { startedAt: at, ok, errorClass: ok ? null : 'server_error', httpStatus: ok ? 200 : 500, latencyMs: ok ? 200 + (i % 97) : 50, ttftMs: ok ? 100 : null, ttfbMs: 40, outputTokens: ok ? 1 : null, requestId: null, rateLimit: null, errorMessage: null };
}

async function run(name: string, spacingS: number, makeStages: (clock: ReturnType<typeof createManualClock>) => PipelineStage[]) {
  const dir = tempDir('cappulse-bench-status-');
  const db = openDatabase(dir.file('bench.db'));
  try {
    await migrateToLatest(db.kysely);
    const targets = await syncCatalog(db.kysely, resolveTargets(config), 0);
    const clock = createManualClock(Date.UTC(2026, 10, 26));
    const logger = createLogger({ level: 'error' });
    const pipeline = createPipeline({ db, stages: makeStages(clock), afterCommit: [], logger });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < RESULTS; i++) {
      clock.advance((spacingS * 1000) / MODELS.length);
      await pipeline.record(targets[i % targets.length]!, result(i, clock.now()));
    }
    const wall = (performance.now() - t0) / RESULTS;
    const cpuUsed = process.cpuUsage(cpu0);
    const cpu = (cpuUsed.user + cpuUsed.system) / 1000 / RESULTS;
    const events = (await listEvents(db.kysely, { limit: 1_000_000 })).length;
    return { name, wall, cpu, events };
  } finally {
    await db.close();
    dir.remove();
  }
}

console.log(`${RESULTS} results per run, 10 targets, one transaction each`);
console.log('| probe every | stages | wall per result | CPU per result | CPU vs baseline | outbox events |');
console.log('|---|---|---|---|---|---|');
for (const spacing of SPACINGS_S) {
  const rows = [];
  rows.push(await run('result insert only (baseline)', spacing, () => []));
  rows.push(await run('+ rollups', spacing, () => [createRollupStage()]));
  rows.push(await run('+ rollups + status', spacing, (clock) => [createRollupStage(), createStatusStage({ config: () => config, clock, logger: createLogger({ level: 'error' }) })]));
  const base = rows[0]!;
  for (const r of rows) console.log(`| ${spacing} s | ${r.name} | ${r.wall.toFixed(3)} ms | ${r.cpu.toFixed(3)} ms | ${(r.cpu / base.cpu).toFixed(2)}× | ${r.events} |`);
  console.log(`| ${spacing} s | status stage alone | | ${(rows[2]!.cpu - rows[1]!.cpu).toFixed(3)} ms | | |`);
}
