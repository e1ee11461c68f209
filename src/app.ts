import { configSecrets } from './config/secrets.ts';
import type { Config } from './config/schema.ts';
import { resolveTargets } from './config/targets.ts';
import { createCheckpoints } from './db/checkpoints.ts';
import { openDatabase, type Db } from './db/connect.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createHttpApp } from './http/app.ts';
import { createApiAccess } from './http/auth.ts';
import { listen, type HttpServer } from './http/server.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { createLogger, type Logger } from './lib/logger.ts';
import { createProber } from './probe/thread/prober.ts';
import { createPipeline, type AfterCommitHook, type PipelineStage } from './scheduler/pipeline.ts';
import { createRetentionJob } from './scheduler/retention-job.ts';
import { createRollupStage } from './scheduler/rollup-stage.ts';
import { createStatusStage } from './scheduler/status-stage.ts';
import { retireRemovedProviders } from './scheduler/status-retire.ts';
import { createScheduler } from './scheduler/scheduler.ts';
import { realTimers, type SchedulerTimers } from './scheduler/timers.ts';
import { syncCatalog, type CatalogTarget } from './store/catalog.ts';
import type { StoredResult } from './store/results.ts';
import { syncConfigEndpoints } from './store/webhooks.ts';
import { configEndpoints } from './webhooks/config-endpoints.ts';
import { createDeliverer, type Deliverer } from './webhooks/deliver.ts';
import { VERSION } from './version.ts';

/** The edges of the world, injected so tests drive them instead of patching globals. */
export interface AppDeps {
  clock?: Clock;
  logger?: Logger;
  /** The better-sqlite3 addon when it is not in node_modules (the standalone executable). */
  nativeBinding?: unknown;
  /** The file `nativeBinding` was loaded from, for the checkpoint thread. */
  nativeBindingFile?: string;
  /** Uniform in [0, 1): retry jitter. */
  random?: () => number;
  /** Longest wait between the deliverer's own looks at the queue (default 1 s). */
  webhookPollMs?: number;
  /** Cron and delay timers of the scheduler; tests pass manual ones (test/helpers/manual-timers.ts). */
  timers?: SchedulerTimers;
}

export interface CapPulseApp {
  readonly db: Db;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Sends the outbox's webhooks; tests wake it and wait for it to be idle. */
  readonly deliverer: Deliverer;
  config(): Config;
  targets(): readonly CatalogTarget[];
  /** Base URL of the HTTP server once started. */
  url(): string;
  start(): Promise<void>;
  /** Applies a new, already validated config without a restart. */
  reload(next: Config): Promise<void>;
  /** Probes one target now through the real pipeline and returns the stored result. */
  probeNow(targetKey: string): Promise<StoredResult>;
  /** Resolves when no probe is queued or running (ticks still waiting out their spread offset do not count). */
  probesIdle(): Promise<void>;
  stop(): Promise<void>;
}

/** How long stop() lets probes in flight finish before abandoning them unstored. */
const PROBE_STOP_GRACE_MS = 10_000;

/**
 * Builds every part and owns every long-lived thing (database, server, jobs). The only place
 * where parts are wired together: nothing else holds module-level state.
 */
export async function createApp(initial: Config, deps: AppDeps = {}): Promise<CapPulseApp> {
  let config = initial;
  const clock = deps.clock ?? systemClock;
  const logger =
    deps.logger ?? createLogger({ level: config.server.log_level, format: config.server.log_format, secrets: () => configSecrets(config) });
  const log = logger.child('app');
  const startedAt = clock.now();

  const db = openDatabase(config.storage.path, deps.nativeBinding === undefined ? {} : { nativeBinding: deps.nativeBinding });
  let targets: CatalogTarget[] = [];
  let server: HttpServer | undefined;

  const access = createApiAccess({ db, config: () => config, clock, logger });
  const deliverer = createDeliverer({ db: db.kysely, config: () => config, clock, logger, userAgent: `CapPulse-Webhooks/${VERSION}`, ...(deps.random ? { random: deps.random } : {}), ...(deps.webhookPollMs ? { pollMs: deps.webhookPollMs } : {}) });
  const http = createHttpApp({ db, config: () => config, clock, logger, version: VERSION, startedAt, access, webhooks: deliverer });

  // The pipeline: each result is stored in its own transaction, then these stages run inside that
  // same transaction, in order; after commit, the hooks run (they must not do I/O inline: wake
  // something instead). Append a stage or hook here; nothing else needs to change.
  const stages: PipelineStage[] = [];
  const afterCommit: AfterCommitHook[] = [];
  const checkpoints = createCheckpoints(db, { mode: () => config.storage.checkpoint_thread, logger, ...(deps.nativeBindingFile === undefined ? {} : { addonFile: deps.nativeBindingFile }) });
  afterCommit.push({ name: 'checkpoints', run: () => checkpoints.wrote() });
  // Alert after persist, when the committed state change queued deliveries: a look at an empty
  // outbox after every probe cost more CPU than the status stage (scripts/bench/prober.ts).
  afterCommit.push({
    name: 'webhooks',
    run: (_target, _stored, committed) => {
      if (committed.outboxEvents > 0) deliverer.wake();
    },
  });
  stages.push(createRollupStage());
  // Status reads the result just stored (and, after the rollups stage, its rollups) and writes
  // incidents and their outbox events in the same transaction: keep it after rollups.
  stages.push(createStatusStage({ config: () => config, clock, logger }));
  const pipeline = createPipeline({ db, stages, afterCommit, logger: logger.child('pipeline') });
  // The timing thread reads the system clock: with an injected one, `auto` stays on this one.
  const timingThread = () => (deps.clock && config.defaults.timing_thread === 'auto' ? 'never' : config.defaults.timing_thread);
  const prober = createProber({ clock, logger, mode: timingThread });
  const scheduler = createScheduler({
    clock,
    timers: deps.timers ?? realTimers,
    logger,
    pipeline,
    probe: prober.probe,
    concurrency: () => config.defaults.concurrency,
  });

  const retention = createRetentionJob({ db: db.kysely, retention: () => config.storage.retention, clock, timers: deps.timers ?? realTimers, logger });

  const sync = async (next: Config) => {
    targets = await syncCatalog(db.kysely, resolveTargets(next), clock.now());
    await syncConfigEndpoints(db.kysely, configEndpoints(next), clock.now());
    // A provider the sync removed is evaluated no more: close its open incident now, or never.
    if ((await retireRemovedProviders(db.kysely, { clock, logger })) > 0) deliverer.wake();
  };

  return {
    db,
    logger,
    clock,
    deliverer,
    config: () => config,
    targets: () => targets,
    url: () => server?.url ?? '',
    probeNow: (targetKey) => scheduler.runNow(targetKey),
    probesIdle: () => scheduler.idle(),

    async start() {
      const report = await migrateToLatest(db.kysely, undefined, VERSION);
      log.info('database_ready', { path: config.storage.path, migrated: report.applied.length, schema: report.current });
      await sync(config);
      log.info('catalog_synced', { providers: config.providers.length, targets: targets.length });
      scheduler.sync(targets);
      retention.start();
      access.start();
      await checkpoints.review();
      deliverer.start();
      server = await listen(http, config.server.host, config.server.port);
      log.info('listening', { url: server.url, version: VERSION });
    },

    async reload(next) {
      await sync(next);
      config = next;
      scheduler.sync(targets);
      await checkpoints.review();
      log.info('config_reloaded', { providers: next.providers.length, targets: targets.length });
    },

    async stop() {
      log.info('stopping');
      // First, so the last results are stored (and their hooks run) while everything is still open.
      await scheduler.stop({ graceMs: PROBE_STOP_GRACE_MS });
      await prober.close();
      await server?.close();
      // Waits for the POSTs in flight, so their outcome is recorded before the file closes.
      await deliverer.stop();
      // After the server (no new requests), before the database: pending usage must reach the file.
      await access.stop();
      await retention.stop();
      // Before the database: its close is then the last connection's, which checkpoints and removes the WAL.
      await checkpoints.close();
      await db.close();
      log.info('stopped');
    },
  };
}
