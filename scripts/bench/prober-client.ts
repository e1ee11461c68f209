/**
 * One client of the prober bench (scripts/bench/prober.ts), in a process of its own.
 *
 * Why a process per client: the clients used to share one process, and a young-generation
 * collection is the heap's, not the client's. Whatever the others had allocated and promoted
 * (two whole apps, the stores, the prober's own survivors) was collected during whoever ran next,
 * so the bare node:http loop was charged for the prober's and the apps' heap: in the same hour its
 * p99 at 500 in flight was about 24 ms in the shared process and 7-15 ms alone. Alone, each
 * client's tail is its own.
 *
 * Started by the bench with BENCH_CLIENT (which client) and BENCH_FAKE (port, delay, targets);
 * it warms up, says `ready`, then runs what it is sent over IPC and answers with the samples.
 */
import http from 'node:http';
import { PerformanceObserver, constants as perf, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { createApp } from '../../src/app.ts';
import { validateConfig } from '../../src/config/load.ts';
import { resolveTargets } from '../../src/config/targets.ts';
import { createCheckpoints } from '../../src/db/checkpoints.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { runProbe } from '../../src/probe/run.ts';
import { createProber } from '../../src/probe/thread/prober.ts';
import { createPipeline } from '../../src/scheduler/pipeline.ts';
import { createScheduler } from '../../src/scheduler/scheduler.ts';
import type { SchedulerTimers } from '../../src/scheduler/timers.ts';
import { syncCatalog } from '../../src/store/catalog.ts';
import { tempDir } from '../../test/helpers/temp.ts';

export type ClientName = 'bare' | 'prober' | 'thread' | 'app, thread' | 'app' | 'bare 2';

export interface FakeServer {
  port: number;
  delayMs: number;
  /** Targets each client has: one per worker at the highest level. */
  targets: number;
}

export type Command =
  | { type: 'run'; level: number; runMs: number; spread: number }
  /** The prober only: stored results per second with no server delay, then pipeline.record alone. */
  | { type: 'storing' }
  | { type: 'exit' };

export interface Collections {
  scavenges: number;
  scavengeMs: number;
  scavengeMaxMs: number;
  /** Mark-compacts' pauses on this thread (their concurrent marking is not counted). */
  majors: number;
  majorMaxMs: number;
  /**
   * The young generation's size at the end of the runs, smallest and largest (V8's `new_space`
   * size, which counts a second semi-space while it grows: 2 with --max-semi-space-size=1, 16-32
   * with 16). V8 grows and shrinks it by what it sees, per process: in one run one bare loop kept
   * 1-4 MB while the other and the prober kept 16 (--trace-gc-verbose), and that alone moves how
   * often and how long each client's loop stops.
   */
  youngMinMb: number;
  youngMaxMb: number;
}

export interface RunReply {
  type: 'run';
  /** Measured latency minus the delay the fake really applied, per answer. */
  bias: number[];
  /** How late the fake's own timer fired (applied − nominal delay): not part of the bias. */
  late: number[];
  errors: number;
  cpuMs: number;
  gc: Collections;
}

export interface StoringReply {
  type: 'storing';
  storedPerSecond: number;
  cpuMsPerProbe: number;
  recordPerSecond: number;
}

export type Reply = { type: 'ready' } | RunReply | StoringReply;

/** What one request gives back: its measured latency and the fake's x-request-id. */
type Measured = { latencyMs: number; requestId: string | null } | null;
type Once = (worker: number) => Promise<Measured>;

/**
 * L workers in a closed loop for runMs. Worker i starts i/L of `spread` after worker 0, as the
 * scheduler spreads targets that share a schedule over the period: started together, the
 * workers of a fixed-delay closed loop stay in lockstep for the whole run, all L answers land in
 * the same millisecond, and the "bias" measured is mostly each answer's place in that queue (at
 * 100 in flight a bare node:http loop showed p50 29 ms in lockstep, 1 ms spread).
 */
async function closedLoop(fake: FakeServer, once: Once, level: number, runMs: number, spread: number): Promise<RunReply> {
  const reply: RunReply = { type: 'run', bias: [], late: [], errors: 0, cpuMs: 0, gc: { scavenges: 0, scavengeMs: 0, scavengeMaxMs: 0, majors: 0, majorMaxMs: 0, youngMinMb: 0, youngMaxMb: 0 } };
  // A collection stops this thread's loop: an answer read during one waits for it.
  const observer = new PerformanceObserver((list) => countCollections(reply.gc, list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const cpu0 = process.cpuUsage();
  const end = performance.now() + runMs;
  await Promise.all(
    Array.from({ length: level }, async (_, worker) => {
      await new Promise((resolve) => setTimeout(resolve, (worker * spread) / level));
      while (performance.now() < end) {
        const measured = await once(worker);
        // The fake reports the delay it really applied (request read → response written, by its
        // own clock) in x-request-id: bias is measured against that, so a late timer in the fake
        // (it shares the cores) is not charged to the client.
        const held = Number(/^held_([\d.]+)$/.exec(measured?.requestId ?? '')?.[1] ?? Number.NaN);
        if (measured === null || !Number.isFinite(held)) {
          reply.errors += 1;
          continue;
        }
        reply.bias.push(measured.latencyMs - held);
        reply.late.push(held - fake.delayMs);
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  countCollections(reply.gc, observer.takeRecords());
  observer.disconnect();
  reply.cpuMs = (cpu.user + cpu.system) / 1000;
  const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
  reply.gc.youngMinMb = reply.gc.youngMaxMb = young / 2 ** 20;
  return reply;
}

function countCollections(gc: Collections, entries: PerformanceEntry[]): void {
  for (const entry of entries) {
    const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    if (kind === perf.NODE_PERFORMANCE_GC_MINOR) {
      gc.scavenges += 1;
      gc.scavengeMs += entry.duration;
      gc.scavengeMaxMs = Math.max(gc.scavengeMaxMs, entry.duration);
    } else if (kind === perf.NODE_PERFORMANCE_GC_MAJOR) {
      gc.majors += 1;
      gc.majorMaxMs = Math.max(gc.majorMaxMs, entry.duration);
    }
  }
}

/** The baseline: a bare node:http request, timed from socket connect to the end of the body. */
function bareRequest(port: number, path = '/v1/chat/completions'): Promise<Measured> {
  return new Promise((resolve) => {
    let sentAt = 0;
    const body = '{"model":"m","stream":true}';
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': body.length } });
    req.on('socket', (socket) => socket.once('connect', () => (sentAt = performance.now())));
    req.on('response', (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve({ latencyMs: performance.now() - sentAt, requestId: typeof res.headers['x-request-id'] === 'string' ? res.headers['x-request-id'] : null }));
    });
    req.on('error', () => resolve(null));
    req.end(body);
  });
}

interface Client {
  once: Once;
  /** The prober only: see Command `storing`. */
  storing?: () => Promise<Omit<StoringReply, 'type'>>;
  close(): Promise<void>;
}

const quiet = createLogger({ write: () => undefined });
// No tick ever fires: the bench drives probes itself through runNow, the path a tick takes.
const idleTimers: SchedulerTimers = { cron: () => ({ stop: () => undefined }), delay: () => () => undefined };
const longTimeouts = { connect: '10s', first_token: '60s', total: '120s' };

function benchProvider(fake: FakeServer) {
  return { slug: 'bench', kind: 'openai' as const, base_url: `http://127.0.0.1:${fake.port}/v1`, api_key: 'sk-bench-000000', models: Array.from({ length: fake.targets }, (_, i) => ({ slug: `m${i}` })) };
}

/**
 * The prober path as the app wires it (scheduler.runNow: a slot, runProbe, the pipeline storing
 * each result in its own transaction, checkpoints as the app has them by default), with no other
 * stage; timed where `timing` says (defaults.timing_thread: never = the main thread).
 */
async function proberClient(fake: FakeServer, timing: 'never' | 'always'): Promise<Client> {
  const dir = tempDir('cappulse-bench-');
  const db = openDatabase(dir.file('bench.db'));
  await migrateToLatest(db.kysely);
  const config = validateConfig({ defaults: { timeouts: longTimeouts }, providers: [benchProvider(fake)] });
  const targets = await syncCatalog(db.kysely, resolveTargets(config), Date.now());
  const checkpoints = createCheckpoints(db, { mode: () => 'auto', logger: quiet });
  const pipeline = createPipeline({ db, stages: [], afterCommit: [{ name: 'checkpoints', run: () => checkpoints.wrote() }], logger: quiet });
  const prober = createProber({ clock: systemClock, logger: quiet, mode: () => timing });
  const scheduler = createScheduler({ clock: systemClock, timers: idleTimers, logger: quiet, pipeline, probe: prober.probe, concurrency: () => 10_000 });
  scheduler.sync(targets);
  const once: Once = async (worker) => {
    const stored = await scheduler.runNow(targets[worker]!.key);
    return stored.ok && stored.latencyMs !== null ? { latencyMs: stored.latencyMs, requestId: stored.requestId } : null;
  };
  const storing = async () => {
    // No server delay, 100 in flight, every result in its own transaction, end to end.
    const fast = targets.slice(0, 100).map((t) => ({ ...t, provider: { ...t.provider, base_url: `http://127.0.0.1:${fake.port}/fast/v1` } }));
    const count = () => (db.sqlite.prepare('SELECT count(*) AS n FROM probe_results').get() as { n: number }).n;
    const before = count();
    const t0 = performance.now();
    const run = await closedLoop(
      fake,
      async (worker) => {
        const result = await runProbe(fast[worker]!, { clock: systemClock });
        await pipeline.record(fast[worker]!, result);
        return { latencyMs: result.latencyMs ?? 0, requestId: result.requestId };
      },
      100,
      2000,
      0,
    );
    const stored = count() - before;
    const storedPerSecond = stored / ((performance.now() - t0) / 1000);
    const sample = await runProbe(targets[0]!, { clock: systemClock });
    const N = 5000;
    const recordOnly = performance.now();
    for (let i = 0; i < N; i += 1) await pipeline.record(targets[i % 100]!, sample);
    return { storedPerSecond, cpuMsPerProbe: run.cpuMs / stored, recordPerSecond: N / ((performance.now() - recordOnly) / 1000) };
  };
  return {
    once,
    storing,
    close: async () => {
      await scheduler.stop();
      await prober.close();
      await checkpoints.close();
      await db.close();
      dir.remove();
    },
  };
}

/**
 * The same probes through the whole app, with every stage the pipeline has (rollups, status and
 * its incidents and outbox events, the deliverer's wake): the "all included" CPU figure.
 */
async function appClient(fake: FakeServer, timing: 'never' | 'always'): Promise<Client> {
  const dir = tempDir('cappulse-bench-');
  const app = await createApp(
    validateConfig({ server: { port: 0 }, storage: { path: dir.file('app.db') }, defaults: { concurrency: 1000, timing_thread: timing, timeouts: longTimeouts }, providers: [benchProvider(fake)] }),
    { timers: idleTimers, logger: quiet },
  );
  await app.start();
  const keys = app.targets().map((t) => t.key);
  return {
    once: async (worker) => {
      const stored = await app.probeNow(keys[worker]!);
      return stored.ok && stored.latencyMs !== null ? { latencyMs: stored.latencyMs, requestId: stored.requestId } : null;
    },
    close: async () => {
      await app.stop();
      dir.remove();
    },
  };
}

async function startClient(name: ClientName, fake: FakeServer): Promise<Client> {
  switch (name) {
    case 'bare':
    case 'bare 2':
      return { once: () => bareRequest(fake.port), close: async () => undefined };
    case 'prober':
      return proberClient(fake, 'never');
    case 'thread':
      return proberClient(fake, 'always');
    case 'app':
      return appClient(fake, 'never');
    case 'app, thread':
      return appClient(fake, 'always');
  }
}

async function serve(name: ClientName, fake: FakeServer): Promise<void> {
  const send = (reply: Reply) => new Promise<void>((resolve, reject) => process.send!(reply, undefined, {}, (error) => (error ? reject(error) : resolve())));
  const client = await startClient(name, fake);
  // Warm up before anything is measured: the JIT, SQLite's page cache, compiled queries, the
  // apps' targets past their first evaluations (unknown → operational), and V8's young
  // generation grown to what the highest level makes it (it starts small and grows with what
  // survives; a fresh process at 500 in flight collected 17-22 times a second).
  await closedLoop(fake, client.once, 10, 2000, fake.delayMs);
  for (let i = 0; i < 3; i += 1) await closedLoop(fake, client.once, fake.targets, 2000, fake.delayMs);
  await send({ type: 'ready' });
  process.on('message', (command: Command) => {
    void (async () => {
      if (command.type === 'run') await send(await closedLoop(fake, client.once, command.level, command.runMs, command.spread));
      else if (command.type === 'storing') await send({ type: 'storing', ...(await client.storing!()) });
      else {
        await client.close();
        process.disconnect();
      }
    })();
  });
}

const name = process.env.BENCH_CLIENT as ClientName | undefined;
if (name !== undefined && process.send !== undefined) await serve(name, JSON.parse(process.env.BENCH_FAKE!) as FakeServer);
