/**
 * The prober's own measurement bias, CPU per probe and storage rate.
 *
 * A fake OpenAI-compatible server runs in a child process (so its CPU is not ours) and answers
 * every request after DELAY_MS with one content token, usage and [DONE], reporting the delay it
 * really applied (its timer can fire late: it shares the cores) in x-request-id. Bias is what a
 * client measures minus that delay. For 10, 100 and 500 probes in flight (closed loop, the
 * workers' starts spread over the delay as the scheduler spreads targets), the prober runs next
 * to a bare node:http request loop against the same server in the same run, with the same
 * connection policy (a fresh connection per request) and the same start point (socket connected,
 * request sent). The prober path is the real one: scheduler.runNow (slot, runProbe: node:http,
 * SSE parsing, classification, rate-limit headers, secret scrubbing, then the pipeline storing
 * each result in its own SQLite transaction), once with probes timed on the main thread beside
 * the storing (`prober`) and once on the timing thread (`thread`, src/probe/thread/). At 100 and
 * 500 in flight the whole app (createApp, every pipeline stage: rollups, status with incidents
 * and outbox, the deliverer's wake) runs too, as configured by default (`app`, timing_thread
 * never) and with `timing_thread: always` (`app, thread`): its CPU per probe is the "all
 * included" figure. The bare loop runs a second time in every round, last: its ratios against
 * the first are the comparison's noise floor (at 100 in flight its p99 came out 2.2x the first's:
 * a few hiccups of the shared machine, each spoiling every answer in flight, make a p99 of 1 200
 * samples). Two more columns for the p99: the median of each round's p99 ratio against the bare
 * run of the same round (one bad round does not move it, though a p99 of one round's few hundred
 * samples is noisy in its own way), and the young-generation collections that ran during the
 * client's runs (per second, mean and longest pause): each one stops the loop while answers
 * arrive. They are the main thread's: for the thread rows that is the storing side, not the
 * timing thread. A lockstep row (all workers started at once) shows what the spread start removes.
 *
 * Run: node --import tsx scripts/bench/prober.ts   (about eight minutes)
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { PerformanceObserver, constants as perf, type PerformanceEntry } from 'node:perf_hooks';
import { validateConfig } from '../../src/config/load.ts';
import { resolveTargets } from '../../src/config/targets.ts';
import { createCheckpoints } from '../../src/db/checkpoints.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { runProbe } from '../../src/probe/run.ts';
import { createProber } from '../../src/probe/thread/prober.ts';
import { createApp } from '../../src/app.ts';
import { createPipeline } from '../../src/scheduler/pipeline.ts';
import { createScheduler } from '../../src/scheduler/scheduler.ts';
import type { SchedulerTimers } from '../../src/scheduler/timers.ts';
import { syncCatalog, type CatalogTarget } from '../../src/store/catalog.ts';
import { tempDir } from '../../test/helpers/temp.ts';

const DELAY_MS = Number(process.env.DELAY_MS ?? 500);
const RUN_MS = Number(process.env.RUN_MS ?? 2000);
/** Runs per client per level, alternating with the other client, so both see the same machine load. */
const SLICES = Number(process.env.SLICES ?? 3);
/** LEVELS=100 SLICES=20 gives a p99 of 8 000 samples per client at one level (about four minutes). */
const LEVELS = (process.env.LEVELS ?? '10,100,500').split(',').map(Number);
/** The whole app runs at these levels and up: its "all included" CPU figure is read at 100. */
const APP_LEVELS_FROM = 100;
/** How much longer the runs at 10 in flight last, for enough samples: about 1 200 per client. */
const LOW_LEVEL_FACTOR = 10;

/**
 * The fake reports the delay it really applied (request read → response written, by its own
 * clock) in x-request-id, which the prober stores like any provider request id: bias is measured
 * against that, not against the nominal DELAY_MS, so a late timer in the fake (it has its own
 * event loop and shares the cores) is not charged to the client. The lateness is printed too.
 */
const SERVER = `
const http = require('node:http');
const delay = ${DELAY_MS};
const chunk = (d) => 'data: ' + JSON.stringify(d) + '\\n\\n';
const body = chunk({ id: 'c1', choices: [{ index: 0, delta: { content: 'ok' }, finish_reason: null }] })
  + chunk({ id: 'c1', choices: [{ index: 0, delta: {}, finish_reason: 'length' }] })
  + chunk({ id: 'c1', choices: [], usage: { prompt_tokens: 12, completion_tokens: 1, total_tokens: 13 } })
  + 'data: [DONE]\\n\\n';
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const wait = req.url.startsWith('/fast') ? 0 : delay;
    const readAt = performance.now();
    setTimeout(() => {
      const held = (performance.now() - readAt).toFixed(3);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'held_' + held, 'x-ratelimit-limit-requests': '10000', 'x-ratelimit-remaining-requests': '9999', 'x-ratelimit-reset-requests': '6ms' });
      res.end(body);
    }, wait);
  });
});
server.keepAliveTimeout = 1;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

interface Sample {
  biasMs: number;
  /** How late the fake's own timer fired (held − DELAY_MS): not part of the bias. */
  lateMs: number;
}

/** What one client request gives back: its measured latency and the fake's x-request-id. */
type Measured = { latencyMs: number; requestId: string | null } | null;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function summarize(samples: Sample[]) {
  const sorted = samples.map((s) => s.biasMs).sort((a, b) => a - b);
  const late = samples.map((s) => s.lateMs).sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), lateP99: percentile(late, 99) };
}

function toSample(measured: Measured): Sample | null {
  const held = Number(/^held_([\d.]+)$/.exec(measured?.requestId ?? '')?.[1] ?? Number.NaN);
  if (measured === null || !Number.isFinite(held)) return null;
  return { biasMs: measured.latencyMs - held, lateMs: held - DELAY_MS };
}

/**
 * L workers in a closed loop for RUN_MS; returns samples and CPU ms spent in this process.
 *
 * Worker i starts i/L of the fake's delay after worker 0, as the scheduler spreads targets that
 * share a schedule over the period (scripts/bench/prober.ts history in BENCHMARKS.md): started
 * together, the workers of a fixed-delay closed loop stay in lockstep for the whole run, all L
 * answers land in the same millisecond, and the "bias" measured is mostly each answer's place in
 * that queue (at 100 in flight a bare node:http loop showed p50 29 ms in lockstep, 1 ms spread).
 */
async function closedLoop(level: number, once: (worker: number) => Promise<Measured>, spread = DELAY_MS) {
  const samples: Sample[] = [];
  // Young-generation collections stop this thread's loop: an answer read during one waits for it.
  // Counted per client, so a p99 can be told apart from what the client allocates.
  const gc = { scavenges: 0, scavengeMs: 0, maxMs: 0 };
  const observer = new PerformanceObserver((list) => countScavenges(gc, list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const cpu0 = process.cpuUsage();
  // Ten in flight give 20 samples a second: run them longer, so a p99 is not the 4th-largest of
  // 360 (at 3× it swung between 1.19× and 2.69× of the bare loop from one quiet run to the next).
  const end = performance.now() + (level <= 10 ? LOW_LEVEL_FACTOR * RUN_MS : RUN_MS);
  let errors = 0;
  await Promise.all(
    Array.from({ length: level }, async (_, worker) => {
      await new Promise((resolve) => setTimeout(resolve, (worker * spread) / level));
      while (performance.now() < end) {
        const sample = toSample(await once(worker));
        if (sample === null) errors += 1;
        else samples.push(sample);
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  countScavenges(gc, observer.takeRecords());
  observer.disconnect();
  return { samples, errors, cpuMs: (cpu.user + cpu.system) / 1000, gc, p99s: [summarize(samples).p99] };
}

function countScavenges(gc: { scavenges: number; scavengeMs: number; maxMs: number }, entries: PerformanceEntry[]): void {
  for (const entry of entries) {
    if ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind !== perf.NODE_PERFORMANCE_GC_MINOR) continue;
    gc.scavenges += 1;
    gc.scavengeMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
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

async function main() {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
  const dir = tempDir('cappulse-bench-');
  const db = openDatabase(dir.file('bench.db'));
  try {
    await migrateToLatest(db.kysely);
    const maxLevel = Math.max(100, ...LEVELS); // the lockstep and storing runs use 100 targets
    const config = validateConfig({
      defaults: { timeouts: { connect: '10s', first_token: '60s', total: '120s' } },
      providers: [{ slug: 'bench', kind: 'openai', base_url: `http://127.0.0.1:${port}/v1`, api_key: 'sk-bench-000000', models: Array.from({ length: maxLevel }, (_, i) => ({ slug: `m${i}` })) }],
    });
    const targets: CatalogTarget[] = await syncCatalog(db.kysely, resolveTargets(config), Date.now());
    const quiet = createLogger({ write: () => undefined });
    // Checkpoints as the app has them by default (storage.checkpoint_thread: auto).
    const checkpoints = createCheckpoints(db, { mode: () => 'auto', logger: quiet });
    const pipeline = createPipeline({ db, stages: [], afterCommit: [{ name: 'checkpoints', run: () => checkpoints.wrote() }], logger: quiet });
    // No tick ever fires: the bench drives probes itself through runNow, the path a tick takes.
    const idleTimers: SchedulerTimers = { cron: () => ({ stop: () => undefined }), delay: () => () => undefined };
    // The prober as the app wires it, once per place a probe can run (defaults.timing_thread):
    // `never` times on the main thread, beside the storing; `always` on the timing thread.
    const onMain = createProber({ clock: systemClock, logger: quiet, mode: () => 'never' });
    const onThread = createProber({ clock: systemClock, logger: quiet, mode: () => 'always' });
    const schedulerFor = (probe: typeof onMain.probe) => {
      const scheduler = createScheduler({ clock: systemClock, timers: idleTimers, logger: quiet, pipeline, probe, concurrency: () => 10_000 });
      scheduler.sync(targets);
      return scheduler;
    };
    const mainScheduler = schedulerFor(onMain.probe);
    const threadScheduler = schedulerFor(onThread.probe);
    const through = (scheduler: ReturnType<typeof schedulerFor>) => async (worker: number) => {
      const stored = await scheduler.runNow(targets[worker]!.key);
      return stored.ok && stored.latencyMs !== null ? { latencyMs: stored.latencyMs, requestId: stored.requestId } : null;
    };
    const probe = through(mainScheduler);
    const probeOnThread = through(threadScheduler);

    // The same probes through the whole app, with every stage the pipeline has (rollups, status
    // and its incidents and outbox events, the deliverer's wake): the "all included" CPU figure.
    // Twice: as configured by default (`timing_thread: never`, everything on the main thread)
    // and with `always`, probes on the timing thread.
    const wholeApp = async (mode: 'always' | 'never', file: string) => {
      const app = await createApp(
        validateConfig({ server: { port: 0 }, storage: { path: dir.file(file) }, defaults: { concurrency: 1000, timing_thread: mode, timeouts: { connect: '10s', first_token: '60s', total: '120s' } }, providers: [config.providers[0]!] }),
        { timers: idleTimers, logger: quiet },
      );
      await app.start();
      const keys = app.targets().map((t) => t.key);
      const run = async (worker: number) => {
        const stored = await app.probeNow(keys[worker]!);
        return stored.ok && stored.latencyMs !== null ? { latencyMs: stored.latencyMs, requestId: stored.requestId } : null;
      };
      return { app, run };
    };
    const appThread = await wholeApp('always', 'app.db');
    const appMain = await wholeApp('never', 'app-main.db');

    // Warm up every path (JIT, SQLite page cache, kysely's compiled queries) before measuring;
    // the app's targets also get past their first evaluations (unknown → operational).
    await closedLoop(10, () => bareRequest(port));
    await closedLoop(10, probe);
    await closedLoop(10, probeOnThread);
    await closedLoop(100, probeOnThread);
    for (let i = 0; i < 3; i += 1) {
      await closedLoop(maxLevel, appThread.run);
      await closedLoop(maxLevel, appMain.run);
    }

    console.log(`fake server delay ${DELAY_MS} ms, ${SLICES} alternating runs of ${RUN_MS} ms per client and level (${LOW_LEVEL_FACTOR * RUN_MS} ms at 10 in flight), fresh connection per request, starts spread over the delay`);
    console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores (other engineers' work was running)\n`);
    console.log('prober: timed on the main thread beside the storing (timing_thread: never, the default; auto until the loop stalls); thread: on the timing thread (always)\n');
    console.log('in flight | client      |     n | errors | bias p50 | bias p99 | CPU/req  | p50 ratio | p99 ratio | p99 ratio, median of rounds | fake late p99 | scavenges/s, mean, max ms');
    type Run = Awaited<ReturnType<typeof closedLoop>>;
    const merge = (a: Run, b: Run): Run => ({
      samples: [...a.samples, ...b.samples],
      errors: a.errors + b.errors,
      cpuMs: a.cpuMs + b.cpuMs,
      gc: { scavenges: a.gc.scavenges + b.gc.scavenges, scavengeMs: a.gc.scavengeMs + b.gc.scavengeMs, maxMs: Math.max(a.gc.maxMs, b.gc.maxMs) },
      p99s: [...a.p99s, ...b.p99s],
    });
    const empty = (): Run => ({ samples: [], errors: 0, cpuMs: 0, gc: { scavenges: 0, scavengeMs: 0, maxMs: 0 }, p99s: [] });
    const median = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
    };
    // Pooled, one hiccup of the shared machine spoils every answer in flight of whichever client
    // runs then; the median of each round's ratio against the bare run of the same round (as the
    // api bench does) is not moved by one bad round.
    const line = (level: number, name: string, run: Run, base: { summary: ReturnType<typeof summarize>; run: Run } | null, runMs: number) => {
      const s = summarize(run.samples);
      const roundRatio = base === null ? 1 : median(run.p99s.map((p99, i) => p99 / base.run.p99s[i]!));
      const ratios = base === null ? '     1.00 |      1.00' : `${(s.p50 / base.summary.p50).toFixed(2).padStart(9)} | ${(s.p99 / base.summary.p99).toFixed(2).padStart(9)}`;
      const seconds = (runMs * run.p99s.length) / 1000;
      const gc = `${(run.gc.scavenges / seconds).toFixed(1)}, ${(run.gc.scavengeMs / Math.max(1, run.gc.scavenges)).toFixed(1)}, ${run.gc.maxMs.toFixed(1)}`;
      console.log(
        `${String(level).padStart(9)} | ${name.padEnd(11)} | ${String(s.n).padStart(5)} | ${String(run.errors).padStart(6)} | ${s.p50.toFixed(2).padStart(6)}ms | ${s.p99.toFixed(2).padStart(6)}ms | ${(run.cpuMs / Math.max(1, s.n + run.errors)).toFixed(3)}ms | ${ratios} | ${roundRatio.toFixed(2).padStart(27)} | ${s.lateP99.toFixed(2).padStart(11)}ms | ${gc}`,
      );
      return { summary: s, run };
    };
    for (const level of LEVELS) {
      const runs = { bare: empty(), prober: empty(), thread: empty(), app: empty(), appMain: empty(), bareAgain: empty() };
      for (let slice = 0; slice < SLICES; slice += 1) {
        runs.bare = merge(runs.bare, await closedLoop(level, () => bareRequest(port)));
        runs.prober = merge(runs.prober, await closedLoop(level, probe));
        runs.thread = merge(runs.thread, await closedLoop(level, probeOnThread));
        if (level >= APP_LEVELS_FROM) {
          runs.app = merge(runs.app, await closedLoop(level, appThread.run));
          runs.appMain = merge(runs.appMain, await closedLoop(level, appMain.run));
        }
        runs.bareAgain = merge(runs.bareAgain, await closedLoop(level, () => bareRequest(port)));
      }
      const runMs = level <= 10 ? LOW_LEVEL_FACTOR * RUN_MS : RUN_MS;
      const base = line(level, 'node:http', runs.bare, null, runMs);
      line(level, 'prober', runs.prober, base, runMs);
      line(level, 'thread', runs.thread, base, runMs);
      if (level >= APP_LEVELS_FROM) {
        line(level, 'app, thread', runs.app, base, runMs);
        line(level, 'app', runs.appMain, base, runMs);
      }
      line(level, 'node:http 2', runs.bareAgain, base, runMs);
    }
    console.log('node:http 2: the same bare loop run again, last in each round: its ratios are what noise alone gives');

    // The artefact the spread start removes, shown in the same run: every worker starts at once.
    const lockBare = await closedLoop(100, () => bareRequest(port), 0);
    const lockProber = await closedLoop(100, probe, 0);
    console.log('\nthe same, all 100 workers started together (lockstep; not the figure to judge):');
    const lockBase = line(100, 'node:http', lockBare, null, RUN_MS);
    line(100, 'prober', lockProber, lockBase, RUN_MS);

    // Stored results per second: no server delay, 100 in flight, every result in its own transaction.
    const fast = targets.slice(0, 100).map((t) => ({ ...t, provider: { ...t.provider, base_url: `http://127.0.0.1:${port}/fast/v1` } }));
    const before = (db.sqlite.prepare('SELECT count(*) AS n FROM probe_results').get() as { n: number }).n;
    const t0 = performance.now();
    const storing = await closedLoop(
      100,
      async (worker) => {
        const result = await runProbe(fast[worker]!, { clock: systemClock });
        await pipeline.record(fast[worker]!, result);
        return { latencyMs: result.latencyMs ?? 0, requestId: result.requestId };
      },
      0,
    );
    const seconds = (performance.now() - t0) / 1000;
    const stored = (db.sqlite.prepare('SELECT count(*) AS n FROM probe_results').get() as { n: number }).n - before;
    console.log(`\nstored results per second (no server delay, 100 in flight, end to end): ${(stored / seconds).toFixed(0)} (CPU ${(storing.cpuMs / stored).toFixed(3)} ms per probe)`);

    await mainScheduler.stop();
    await threadScheduler.stop();
    await onMain.close();
    await onThread.close();
    const sample = await runProbe(targets[0]!, { clock: systemClock });
    const recordOnly = performance.now();
    const N = 5000;
    for (let i = 0; i < N; i += 1) await pipeline.record(targets[i % 100]!, sample);
    console.log(`pipeline.record alone (one transaction per result): ${(N / ((performance.now() - recordOnly) / 1000)).toFixed(0)} results/s`);
    await appThread.app.stop();
    await appMain.app.stop();
    await checkpoints.close();
  } finally {
    child.kill();
    await db.close();
    dir.remove();
  }
}

await main();
