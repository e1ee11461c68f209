/**
 * Child process for the status crash test: records scripted probe results through the real
 * pipeline (rollups + status stages, one transaction per result) until it is killed.
 *
 *   node --import tsx status-crash-child.ts DB_PATH KILL_AT_EVENT
 *
 * KILL_AT_EVENT > 0: the process SIGKILLs itself as the status stage is about to write its
 * KILL_AT_EVENT-th outbox event, i.e. after the incident change, before its events. 0: it runs
 * until the parent kills it at a random moment.
 */
import type { Kysely } from 'kysely';
import { validateConfig } from '../../src/config/load.ts';
import { resolveTargets } from '../../src/config/targets.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import type { Database } from '../../src/db/schema.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import type { ProbeResult } from '../../src/probe/types.ts';
import { createPipeline, type PipelineStage } from '../../src/scheduler/pipeline.ts';
import { createRollupStage } from '../../src/scheduler/rollup-stage.ts';
import { createStatusStage } from '../../src/scheduler/status-stage.ts';
import { syncCatalog } from '../../src/store/catalog.ts';
import { latestResults } from '../../src/store/results.ts';

/** Short windows so that a few hundred probes go through many openings and resolutions. */
export const CRASH_CONFIG = {
  defaults: { schedule: '0 0 1 1 *' },
  thresholds: { major_window: '5m', partial_window: '5m', degraded_window: '5m', latency_window: '5m', rate_limited_window: '5m', reopen_within: '2m' },
  providers: [{ slug: 'acme', name: 'Acme AI', kind: 'openai', base_url: 'http://127.0.0.1:9/v1', models: [{ slug: 'm1' }, { slug: 'm2' }] }],
} as const;

/** Per model, a repeating script (one step per probe of that model) with openings, step-downs, resolutions and reopenings. */
export const SCRIPT: Record<string, string> = {
  m1: 'ssssssfffssssssssssssssfsfsfssssssssssssss',
  m2: 'sssssssssssssssssssffffsssssssssssssssssssss',
};
export const BASE_TIME = Date.UTC(2026, 10, 26, 12);
export const STEP_MS = 15_000;

function outcome(ch: string, at: number): ProbeResult {
  const ok = ch === 's';
  return {
    startedAt: at,
    ok,
    errorClass: ok ? null : 'server_error',
    httpStatus: ok ? 200 : 500,
    latencyMs: ok ? 120 : 40,
    ttftMs: ok ? 90 : null,
    ttfbMs: 30,
    outputTokens: ok ? 1 : null,
    requestId: null,
    rateLimit: null,
    errorMessage: ok ? null : 'scripted 500',
  };
}

function killBeforeEvent(trx: Kysely<Database>, killAt: number, counter: { n: number }): Kysely<Database> {
  return new Proxy(trx, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === 'insertInto') {
        return (table: keyof Database) => {
          if (table === 'events' && ++counter.n === killAt) {
            process.kill(process.pid, 'SIGKILL');
            for (;;); // SIGKILL lands here: nothing after this point may run.
          }
          return target.insertInto(table);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function main(): Promise<void> {
  const [dbPath, killArg] = process.argv.slice(2);
  const killAt = Number(killArg ?? 0);
  const config = validateConfig(CRASH_CONFIG, 'crash test', {});
  const db = openDatabase(dbPath!);
  await migrateToLatest(db.kysely);
  const targets = await syncCatalog(db.kysely, resolveTargets(config), BASE_TIME);
  // Resume one step after the newest stored result: a restart goes on where the last run stopped.
  let last = BASE_TIME;
  for (const t of targets) last = Math.max(last, (await latestResults(db.kysely, t.id, 1))[0]?.startedAt ?? 0);
  const clock = createManualClock(last);
  const logger = createLogger({ level: 'error' });
  const status = createStatusStage({ config: () => config, clock, logger });
  const counter = { n: 0 };
  const stage: PipelineStage = { name: 'status', apply: (tx, target, stored) => status.apply(killAt > 0 ? { ...tx, kysely: killBeforeEvent(tx.kysely, killAt, counter) } : tx, target, stored) };
  const pipeline = createPipeline({ db, stages: [createRollupStage(), stage], afterCommit: [], logger });
  process.stdout.write('ready\n');
  for (let i = 0; i < 20_000; i++) {
    clock.advance(STEP_MS);
    // Which model and which script step follow from the time alone, so a restart resumes the script.
    const tick = Math.round((clock.now() - BASE_TIME) / STEP_MS);
    const target = targets[tick % targets.length]!;
    const script = SCRIPT[target.modelSlug]!;
    const step = Math.floor(tick / targets.length);
    await pipeline.record(target, outcome(script[step % script.length]!, clock.now()));
  }
  await db.close();
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
