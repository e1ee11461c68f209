// Start-up and idle memory of the standalone executable, next to the same bundle run by the same
// Node (`node dist/bundle.cjs`) and a bare `node -e` HTTP server: the floor any Node service
// starts from. Run: node --import tsx scripts/bench/startup.ts  (builds first if needed).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'dist');
const RUNS = 7;
/** Idle memory is read twice: just after start-up, and once timers, first jobs and the JIT have settled. */
const IDLE_SAMPLES_MS = [3_000, 30_000];

interface Mode {
  name: string;
  command(port: number): [string, string[]];
  path: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls until the first 200; the poll interval (2 ms) bounds the error of the figure. */
async function waitFor200(url: string, child: ChildProcess, deadline: number): Promise<void> {
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before answering ${url}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`no 200 from ${url} within the deadline`);
}

/** RSS, and the anonymous (private: heap, stacks, malloc) part of it; the rest is file pages shared with the page cache. */
function memoryMb(pid: number): { rss: number; anon: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) / 1024;
  return { rss: kb('Rss'), anon: kb('Anonymous') };
}

/**
 * CPU time of the main thread so far. Start-up is mostly that one thread, so on a busy machine
 * (other engineers' builds and tests) it approximates what the wall time would be on an idle one.
 */
function mainThreadCpuMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('close', r));
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(kill);
}

interface Started {
  child: ChildProcess;
  ms: number;
  cpuMs: number;
  done(): Promise<void>;
}

/** Starts in a fresh empty folder (a new database each time; HOME keeps the addon cache warm) and waits for the first 200. */
async function start(mode: Mode, home: string): Promise<Started> {
  const cwd = mkdtempSync(join(tmpdir(), 'cappulse-bench-'));
  const port = await freePort();
  const [command, args] = mode.command(port);
  const started = performance.now();
  const child = spawn(command, args, { cwd, env: { HOME: home, PATH: '/usr/bin:/bin' }, stdio: 'ignore' });
  const done = async () => {
    await stop(child);
    rmSync(cwd, { recursive: true, force: true });
  };
  try {
    await waitFor200(`http://127.0.0.1:${port}/healthz`, child, started + 20_000);
    return { child, ms: performance.now() - started, cpuMs: mainThreadCpuMs(child.pid!), done };
  } catch (error) {
    await done();
    throw error;
  }
}

async function startOnce(mode: Mode, home: string): Promise<{ ms: number; cpuMs: number }> {
  const run = await start(mode, home);
  await run.done();
  return { ms: run.ms, cpuMs: run.cpuMs };
}

/** The three modes started side by side and left idle; RSS read at each of IDLE_SAMPLES_MS. */
async function idleMemory(modes: Mode[], home: string): Promise<ReturnType<typeof memoryMb>[][]> {
  const running = await Promise.all(modes.map((mode) => start(mode, home)));
  const samples: ReturnType<typeof memoryMb>[][] = [];
  let waited = 0;
  for (const at of IDLE_SAMPLES_MS) {
    await new Promise((r) => setTimeout(r, at - waited));
    waited = at;
    samples.push(running.map((run) => memoryMb(run.child.pid!)));
  }
  await Promise.all(running.map((run) => run.done()));
  return samples;
}

function dropPageCache(): boolean {
  try {
    spawnSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '1');
    return true;
  } catch {
    return false;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (file: string) => statSync(file).size / 1e6;

async function main() {
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');
  const stamp = JSON.parse(readFileSync(join(DIST, '.build', 'stamp.json'), 'utf8')) as { node: string };
  const node = join(ROOT, '.cache', 'sea', `node-${process.platform}-${process.arch}-${stamp.node}`, 'bin', 'node');
  const exe = join(DIST, 'cappulse');
  const bundle = join(DIST, 'bundle.cjs');
  const demo = spawnSync(exe, ['serve', '--help'], { encoding: 'utf8' }).stdout.includes('--demo') ? ['--demo'] : [];
  const serveArgs = (port: number) => ['serve', ...demo, '--host', '127.0.0.1', '--port', String(port)];
  const bare = (port: number) => `require("node:http").createServer((q, s) => s.end("ok")).listen(${port}, "127.0.0.1")`;
  const modes: Mode[] = [
    { name: 'bare node -e http server', path: node, command: (port) => [node, ['-e', bare(port)]] },
    { name: 'node dist/bundle.cjs serve', path: bundle, command: (port) => [node, [bundle, ...serveArgs(port)]] },
    { name: 'dist/cappulse serve', path: exe, command: (port) => [exe, serveArgs(port)] },
  ];

  const home = mkdtempSync(join(tmpdir(), 'cappulse-bench-home-'));
  try {
    const coldCache = await startOnce(modes[2]!, home); // writes the addon to the empty cache
    const times = new Map(modes.map((m) => [m.name, { wall: [] as number[], cpu: [] as number[] }]));
    for (let i = 0; i < RUNS; i++) {
      // Interleaved, so a burst of load from other work on the machine hits every mode alike.
      for (const mode of modes) {
        const run = await startOnce(mode, home);
        times.get(mode.name)!.wall.push(run.ms);
        times.get(mode.name)!.cpu.push(run.cpuMs);
      }
    }
    // The three idle side by side: they do almost nothing, so they do not disturb each other.
    // RSS counts the executable's own pages that are mapped, and how many the kernel maps per
    // fault depends on the page cache: a file just written (a fresh build, a copy) sits in large
    // folios that are mapped whole, which adds about 15 MB of file pages. So memory is sampled
    // twice: with the page cache as the build left it, and cold, as after a reboot (dropping the
    // cache needs root; skipped otherwise).
    const memory = [{ label: 'page cache as built', samples: await idleMemory(modes, home) }];
    if (dropPageCache()) memory.push({ label: 'cold page cache', samples: await idleMemory(modes, home) });

    const base = { wall: median(times.get(modes[0]!.name)!.wall), cpu: median(times.get(modes[0]!.name)!.cpu) };
    const secs = IDLE_SAMPLES_MS.map((ms) => `${ms / 1000}s`);
    console.log(`Node ${stamp.node}${demo.length ? ', serve --demo' : ', serve (example config, no providers)'}; ${RUNS} starts each, interleaved; medians`);
    const memHeader = memory.flatMap(({ label }) => secs.map((x) => `${label} @${x}`.padStart(28))).join(' ');
    console.log(`${'mode'.padEnd(28)} ${'exec→200 wall'.padStart(14)} ${'vs bare'.padStart(8)} ${'main-thread CPU'.padStart(16)} ${'vs bare'.padStart(8)}  ${memHeader}`);
    modes.forEach((mode, i) => {
      const t = times.get(mode.name)!;
      const wall = median(t.wall);
      const cpu = median(t.cpu);
      const mem = memory.flatMap(({ samples }) => samples.map((sample) => `${sample[i]!.rss.toFixed(1)} (${sample[i]!.anon.toFixed(1)}) MB`.padStart(28))).join(' ');
      console.log(
        `${mode.name.padEnd(28)} ${`${wall.toFixed(0)} ms`.padStart(14)} ${`${(wall / base.wall).toFixed(2)}x`.padStart(8)} ${`${cpu.toFixed(0)} ms`.padStart(16)} ${`${(cpu / base.cpu).toFixed(2)}x`.padStart(8)}  ${mem}`,
      );
    });
    console.log('memory: RSS (of which anonymous: heap, stacks, malloc), MB');
    console.log(`first start with an empty addon cache: ${coldCache.ms.toFixed(0)} ms wall, ${coldCache.cpuMs.toFixed(0)} ms CPU (writes the 2 MB addon once)`);
    console.log(`sizes: dist/cappulse ${mb(exe).toFixed(1)} MB (base node ${mb(join(node, '..', 'node-stripped')).toFixed(1)} MB stripped), bundle ${mb(bundle).toFixed(2)} MB, addon ${mb(join(DIST, 'better_sqlite3.node')).toFixed(2)} MB`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
