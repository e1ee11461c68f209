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
 * arrive, and the mark-compacts' pauses. They are the main thread's: for the thread rows that is
 * the storing side, not the timing thread. A lockstep row (all workers started at once) shows
 * what the spread start removes.
 *
 * Every client runs in a process of its own (scripts/bench/prober-client.ts says why: a
 * collection is the heap's, and in one shared process each client paid for the others' garbage).
 * This process only starts them, sends each its turn and sums up; it is idle while they run.
 *
 * Run: node --import tsx scripts/bench/prober.ts   (about eight minutes)
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ClientName, Collections, Command, FakeServer, Reply, RunReply, StoringReply } from './prober-client.ts';

const DELAY_MS = Number(process.env.DELAY_MS ?? 500);
const RUN_MS = Number(process.env.RUN_MS ?? 2000);
/** Runs per client per level, alternating with the other clients, so all see the same machine load. */
const SLICES = Number(process.env.SLICES ?? 3);
/**
 * LEVELS=100 SLICES=20 gives a p99 of 8 000 samples per client at one level (about six minutes).
 * Every client warms up at the highest level, and V8 sizes a process's young generation by what
 * it has seen, so judge a level by a run of that level alone, as BENCHMARKS.md does: after a
 * warm-up at 500 in flight the clients at 100 may still collect far less often than a monitor
 * that only ever has 100 in flight.
 */
const LEVELS = (process.env.LEVELS ?? '10,100,500').split(',').map(Number);
/** The whole app runs at these levels and up: its "all included" CPU figure is read at 100. */
const APP_LEVELS_FROM = 100;
/** How much longer the runs at 10 in flight last, for enough samples: about 1 200 per client. */
const LOW_LEVEL_FACTOR = 10;
/** In the order they run in every round: the bare loop again last, as the noise floor. */
const ALL_CLIENTS: readonly ClientName[] = ['bare', 'prober', 'thread', 'app, thread', 'app', 'bare 2'];
/** CLIENTS=bare,prober runs only those (the bare loop always, first: it is the baseline). */
const CLIENTS = ALL_CLIENTS.filter((name) => name === 'bare' || (process.env.CLIENTS?.split(',') ?? ALL_CLIENTS).includes(name));
/**
 * Node and V8 flags every client starts with. `--no-memory-reducer`: a client waits about 8 s
 * between its turns (the others' runs), which is just when V8's memory reducer decides a process
 * has gone idle: it shrinks the heap and the young generation, and the client's next turn starts
 * on a cold heap, collecting every half second until it has grown again (the prober, whose heap
 * holds the app's modules, far more than the bare loop). A monitor under load never idles that
 * long, so the reducer is not part of what is measured.
 *
 * YOUNG_MB (16 unless given) fixes every client's young generation (semi-space) at that size.
 * Left to V8, each process sizes its own by what it has seen, and two processes running the same
 * loop can settle at 1-4 MB and at 16 for a whole run: the ratio then measured V8's state more
 * than the code (BENCHMARKS.md, prober, "Header lines as a raw list"). 16 MB is where V8's default
 * sizing goes under steady load; YOUNG_MB=1 is the executable's (scripts/build/sea.mjs);
 * YOUNG_MB=auto leaves it to V8. CLIENT_NODE_ARGS adds more flags, alike for all (e.g.
 * "--trace-gc").
 */
const YOUNG_MB = process.env.YOUNG_MB ?? '16';
if (YOUNG_MB !== 'auto' && !/^[1-9]\d*$/.test(YOUNG_MB)) throw new Error(`YOUNG_MB must be a whole number of MB (16, 1, …) or auto, not ${JSON.stringify(YOUNG_MB)}`);
const YOUNG_ARGS = YOUNG_MB === 'auto' ? [] : YOUNG_MB === '1' ? ['--max-semi-space-size=1'] : [`--min-semi-space-size=${YOUNG_MB}`, `--max-semi-space-size=${YOUNG_MB}`];
const CLIENT_NODE_ARGS = ['--no-memory-reducer', ...YOUNG_ARGS, ...(process.env.CLIENT_NODE_ARGS ?? '').split(' ').filter(Boolean)];

/**
 * The fake reports the delay it really applied (request read → response written, by its own
 * clock) in x-request-id, which the prober stores like any provider request id: bias is measured
 * against that (prober-client.ts), not against the nominal DELAY_MS. The lateness is printed too.
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

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const ascending = (values: number[]) => [...values].sort((a, b) => a - b);

function median(values: number[]): number {
  const sorted = ascending(values);
  return sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
}

/** One client's runs at one level, merged; `p99s` keeps each round's own p99. */
interface Runs {
  bias: number[];
  late: number[];
  errors: number;
  cpuMs: number;
  gc: Collections;
  p99s: number[];
}

const noRuns = (): Runs => ({ bias: [], late: [], errors: 0, cpuMs: 0, gc: { scavenges: 0, scavengeMs: 0, scavengeMaxMs: 0, majors: 0, majorMaxMs: 0, youngMinMb: Number.POSITIVE_INFINITY, youngMaxMb: 0 }, p99s: [] });

function merge(runs: Runs, run: RunReply): Runs {
  const gc = runs.gc;
  return {
    bias: runs.bias.concat(run.bias),
    late: runs.late.concat(run.late),
    errors: runs.errors + run.errors,
    cpuMs: runs.cpuMs + run.cpuMs,
    gc: {
      scavenges: gc.scavenges + run.gc.scavenges,
      scavengeMs: gc.scavengeMs + run.gc.scavengeMs,
      scavengeMaxMs: Math.max(gc.scavengeMaxMs, run.gc.scavengeMaxMs),
      majors: gc.majors + run.gc.majors,
      majorMaxMs: Math.max(gc.majorMaxMs, run.gc.majorMaxMs),
      youngMinMb: Math.min(gc.youngMinMb, run.gc.youngMinMb),
      youngMaxMb: Math.max(gc.youngMaxMb, run.gc.youngMaxMb),
    },
    p99s: [...runs.p99s, percentile(ascending(run.bias), 99)],
  };
}

/** A client process: started, warmed up, then sent one command at a time. */
interface ClientProcess {
  name: ClientName;
  ask(command: Command): Promise<Reply>;
  child: ChildProcess;
}

const CLIENT_FILE = fileURLToPath(new URL('./prober-client.ts', import.meta.url));

function startClient(name: ClientName, fake: FakeServer): Promise<ClientProcess> {
  const child = fork(CLIENT_FILE, [], {
    execArgv: [...process.execArgv, ...CLIENT_NODE_ARGS], // this process's own: `--import tsx`
    env: { ...process.env, BENCH_CLIENT: name, BENCH_FAKE: JSON.stringify(fake) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = () =>
    new Promise<Reply>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`bench client ${name} exited (${code}) before answering`));
      child.once('exit', onExit);
      child.once('message', (reply: Reply) => {
        child.off('exit', onExit);
        resolve(reply);
      });
    });
  const client: ClientProcess = {
    name,
    child,
    ask: (command) => {
      const reply = next();
      child.send(command);
      return reply;
    },
  };
  return next().then(() => client);
}

async function main() {
  const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => server.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
  const fake: FakeServer = { port, delayMs: DELAY_MS, targets: Math.max(100, ...LEVELS) }; // the lockstep and storing runs use 100 targets
  const clients: ClientProcess[] = [];
  try {
    // One at a time, so that no client warms up while another does.
    for (const name of CLIENTS) clients.push(await startClient(name, fake));
    const run = async (client: ClientProcess, level: number, runMs: number, spread = DELAY_MS) => (await client.ask({ type: 'run', level, runMs, spread })) as RunReply;

    console.log(`fake server delay ${DELAY_MS} ms, ${SLICES} alternating runs of ${RUN_MS} ms per client and level (${LOW_LEVEL_FACTOR * RUN_MS} ms at 10 in flight), fresh connection per request, starts spread over the delay, each client in a process of its own, young generation ${YOUNG_MB === 'auto' ? 'sized by V8' : `fixed at ${YOUNG_MB} MB`} (YOUNG_MB)`);
    console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores (other engineers' work was running)\n`);
    console.log('prober: timed on the main thread beside the storing (timing_thread: never, the default; auto until the loop stalls); thread: on the timing thread (always)\n');
    console.log('in flight | client      |     n | errors | bias p50 | bias p99 | CPU/req  | p50 ratio | p99 ratio | p99 ratio, median of rounds | fake late p99 | scavenges/s, mean, max ms | mark-compacts, max ms | young gen MB');
    // Pooled, one hiccup of the shared machine spoils every answer in flight of whichever client
    // runs then; the median of each round's ratio against the bare run of the same round (as the
    // api bench does) is not moved by one bad round.
    const line = (level: number, name: string, runs: Runs, base: { p50: number; p99: number; runs: Runs } | null, runMs: number) => {
      const sorted = ascending(runs.bias);
      const s = { p50: percentile(sorted, 50), p99: percentile(sorted, 99), lateP99: percentile(ascending(runs.late), 99) };
      const roundRatio = base === null ? 1 : median(runs.p99s.map((p99, i) => p99 / base.runs.p99s[i]!));
      const ratios = base === null ? '     1.00 |      1.00' : `${(s.p50 / base.p50).toFixed(2).padStart(9)} | ${(s.p99 / base.p99).toFixed(2).padStart(9)}`;
      const seconds = (runMs * runs.p99s.length) / 1000;
      const { gc } = runs;
      const scavenges = `${(gc.scavenges / seconds).toFixed(1)}, ${(gc.scavengeMs / Math.max(1, gc.scavenges)).toFixed(1)}, ${gc.scavengeMaxMs.toFixed(1)}`;
      console.log(
        `${String(level).padStart(9)} | ${name.padEnd(11)} | ${String(sorted.length).padStart(5)} | ${String(runs.errors).padStart(6)} | ${s.p50.toFixed(2).padStart(6)}ms | ${s.p99.toFixed(2).padStart(6)}ms | ${(runs.cpuMs / Math.max(1, sorted.length + runs.errors)).toFixed(3)}ms | ${ratios} | ${roundRatio.toFixed(2).padStart(27)} | ${s.lateP99.toFixed(2).padStart(11)}ms | ${scavenges.padStart(25)} | ${`${gc.majors}, ${gc.majorMaxMs.toFixed(1)}`.padStart(21)} | ${gc.youngMinMb === gc.youngMaxMb ? gc.youngMinMb : `${gc.youngMinMb}-${gc.youngMaxMb}`}`,
      );
      return { ...s, runs };
    };
    for (const level of LEVELS) {
      const runMs = level <= 10 ? LOW_LEVEL_FACTOR * RUN_MS : RUN_MS;
      const here = clients.filter((c) => !c.name.startsWith('app') || level >= APP_LEVELS_FROM);
      const runs = new Map(here.map((c) => [c.name, noRuns()]));
      for (let slice = 0; slice < SLICES; slice += 1) {
        for (const client of here) runs.set(client.name, merge(runs.get(client.name)!, await run(client, level, runMs)));
      }
      const [baseline, ...others] = here;
      const base = line(level, 'node:http', runs.get(baseline!.name)!, null, runMs);
      for (const client of others) line(level, client.name === 'bare 2' ? 'node:http 2' : client.name, runs.get(client.name)!, base, runMs);
    }
    console.log('node:http 2: the same bare loop run again, last in each round, in a process of its own: its ratios are what noise alone gives');

    const bare = clients.find((c) => c.name === 'bare')!;
    const prober = clients.find((c) => c.name === 'prober');
    if (prober === undefined) return;
    // The artefact the spread start removes, shown in the same run: every worker starts at once.
    const lockBare = merge(noRuns(), await run(bare, 100, RUN_MS, 0));
    const lockProber = merge(noRuns(), await run(prober, 100, RUN_MS, 0));
    console.log('\nthe same, all 100 workers started together (lockstep; not the figure to judge):');
    const lockBase = line(100, 'node:http', lockBare, null, RUN_MS);
    line(100, 'prober', lockProber, lockBase, RUN_MS);

    const storing = (await prober.ask({ type: 'storing' })) as StoringReply;
    console.log(`\nstored results per second (no server delay, 100 in flight, end to end): ${storing.storedPerSecond.toFixed(0)} (CPU ${storing.cpuMsPerProbe.toFixed(3)} ms per probe)`);
    console.log(`pipeline.record alone (one transaction per result): ${storing.recordPerSecond.toFixed(0)} results/s`);
  } finally {
    await Promise.all(
      clients.map(async ({ child }) => {
        if (child.connected) child.send({ type: 'exit' } satisfies Command);
        await new Promise((resolve) => (child.exitCode === null && child.signalCode === null ? child.once('exit', resolve) : resolve(null)));
      }),
    );
    server.kill();
  }
}

await main();
