import type { Kysely } from 'kysely';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import type { Clock } from '../lib/clock.ts';
import { parseDuration } from '../lib/durations.ts';
import type { Logger } from '../lib/logger.ts';
import { floorTo, HOUR } from '../stats/windows.ts';
import { allTargetIds, pruneResultsBatch, pruneRollupsBatch } from '../store/retention.ts';
import type { ScheduledJob, SchedulerTimers } from './timers.ts';

/**
 * Keeps the file bounded: raw results, minute and hour rollups past their configured ages are
 * deleted hourly and once at start-up, in small batches with a yield between them so probes
 * keep being stored while a large backlog is pruned.
 */
export type Retention = Config['storage']['retention'];

export interface PruneReport {
  results: number;
  minute: number;
  hour: number;
}

export interface RetentionJob {
  start(): void;
  /** One full prune; concurrent calls share the run in progress. */
  runOnce(): Promise<PruneReport>;
  stop(): Promise<void>;
}

/** Minute 7 of every hour: away from the top of the hour, when many probe schedules fire. */
const SCHEDULE = '0 7 * * * *';
const BATCH = 500;

/**
 * Cuts fall on hour boundaries: the oldest raw hour kept is then always whole, which is what
 * lets `rollups rebuild` recompute it without losing the part that was pruned.
 */
export function retentionCuts(retention: Retention, now: number): { results: number; minute: number; hour: number } {
  const cut = (age: string) => floorTo(now - (parseDuration(age) ?? Number.POSITIVE_INFINITY), HOUR);
  return { results: cut(retention.raw), minute: cut(retention.minute_rollups), hour: cut(retention.hour_rollups) };
}

const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createRetentionJob(deps: {
  db: Kysely<Database>;
  retention: () => Retention;
  clock: Clock;
  timers: SchedulerTimers;
  logger: Logger;
  batchSize?: number;
}): RetentionJob {
  const { db, clock } = deps;
  const log = deps.logger.child('retention');
  const batch = deps.batchSize ?? BATCH;
  let job: ScheduledJob | undefined;
  let running: Promise<PruneReport> | undefined;
  let stopping = false;

  const drain = async (step: () => Promise<number>): Promise<number> => {
    let total = 0;
    for (;;) {
      if (stopping) return total;
      const deleted = await step();
      total += deleted;
      if (deleted === 0) return total;
      await yieldToOthers();
    }
  };

  const prune = async (): Promise<PruneReport> => {
    const started = clock.monotonic();
    const cuts = retentionCuts(deps.retention(), clock.now());
    const report: PruneReport = { results: 0, minute: 0, hour: 0 };
    report.results = await drain(() => pruneResultsBatch(db, cuts.results, batch));
    for (const targetId of await allTargetIds(db)) {
      report.minute += await drain(() => pruneRollupsBatch(db, 'rollups_minute', targetId, cuts.minute, batch));
      report.hour += await drain(() => pruneRollupsBatch(db, 'rollups_hour', targetId, cuts.hour, batch));
    }
    if (report.results + report.minute + report.hour > 0) {
      log.info('pruned', { ...report, ms: Math.round(clock.monotonic() - started), raw_before: new Date(cuts.results).toISOString() });
    }
    return report;
  };

  const runOnce = () => {
    running ??= prune().finally(() => {
      running = undefined;
    });
    return running;
  };

  const background = () => {
    runOnce().catch((error: unknown) => log.error('prune_failed', { error }));
  };

  return {
    start() {
      stopping = false;
      job = deps.timers.cron(SCHEDULE, background);
      background();
    },
    runOnce,
    async stop() {
      stopping = true;
      job?.stop();
      await running?.catch(() => undefined);
    },
  };
}
