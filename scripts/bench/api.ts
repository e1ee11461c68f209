/**
 * What API access costs: authentication (hash + cached key row + constant-time compare),
 * GCRA rate limiting, quota accounting (batched usage) and the rate-limit headers, measured against
 * a bare h3 handler returning the same JSON, in the same run. autocannon keeps its connections
 * alive, as API clients do, so after each connection's first request the guard skips the hash
 * (src/http/auth-connections.ts) but still does everything else.
 *
 *   node --import tsx scripts/bench/api.ts [--seconds 2] [--rounds 9]
 *
 * Variants, each served on its own port by one child process (same process, same h3 and node:http
 * setup, same JSON object), while autocannon drives them from this one (so load generation does
 * not share the servers' CPU accounting or event loop). Every variant is sent the same request,
 * Authorization header included. The child runs under tsx; its loader is only busy at start-up
 * (a CPU profile of the measured window shows no loader frames).
 *   bare      plain h3: app.get(path, () => json) with the exact JSON of GET /v1/providers
 *   writer    the same JSON written the way every /v1 route writes it (api-response.ts: one header
 *             list with the request id), no guard
 *   guarded   the writer behind the real access guard (a key with a huge limit and quota, so
 *             it measures the cost of checking, not refusals): the goal is ≥ 75% of bare
 *   providers the real app, GET /v1/providers (guard + query validation + the handler's reads)
 *   metrics   the real app, GET /v1/providers/{slug}/metrics?window=1h, when that route exists
 * Two figures per variant: throughput, and the server's CPU time per request (user + system, read
 * from the child with process.cpuUsage around each run). On a shared, busy machine throughput
 * mostly measures how much CPU the scheduler granted; CPU per request is the cost itself, so the
 * goal is judged on both. Rounds alternate the variants; ratios are medians of per-round ratios
 * against the bare run of the same round.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { H3 } from 'h3';
import { parseArgs } from 'node:util';
import { createApp } from '../../src/app.ts';
import { validateConfig } from '../../src/config/load.ts';
import { apiJsonResponse } from '../../src/http/api-response.ts';
import { API_ROUTES } from '../../src/http/app.ts';
import { createApiAccess } from '../../src/http/auth.ts';
import type { ApiRoute } from '../../src/http/route.ts';
import { listen } from '../../src/http/server.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { issueApiKey } from '../../src/store/keys.ts';
import { tempDir } from '../../test/helpers/temp.ts';

// autocannon ships no types; this is the part of its API used here.
type Autocannon = (options: { url: string; headers: Record<string, string>; connections: number; duration: number }) => Promise<{
  requests: { average: number; total: number };
  latency: { p99: number };
  non2xx: number;
  errors: number;
}>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '2' }, rounds: { type: 'string', default: '9' }, serve: { type: 'boolean' } } });
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = 20;

interface Variant {
  name: string;
  url: string;
  headers: Record<string, string>;
}
type Ready = { variants: Variant[]; path: string; bytes: number };

const PROVIDERS = ['openai', 'anthropic', 'gemini', 'groq', 'together', 'mistral'].map((slug) => ({
  slug,
  kind: slug === 'anthropic' || slug === 'gemini' ? slug : 'openai',
  base_url: `https://${slug}.example.com/v1`,
  models: [{ slug: `${slug}-large` }, { slug: `${slug}-small` }],
}));

/** Child: the real app plus the bare and guarded h3 apps; answers 'cpu' and 'stop' over IPC. */
async function serve(): Promise<void> {
  const dir = tempDir('cappulse-bench-api-');
  const logger = createLogger({ level: 'warn' });
  // Probing is scheduled yearly: the providers exist for the API to list, but no background probe
  // spends the CPU being measured (what little background remains is measured idle and subtracted).
  const config = validateConfig({ server: { port: 0 }, storage: { path: dir.file('bench.db') }, defaults: { schedule: '0 0 0 1 1 *' }, providers: PROVIDERS }, 'bench', {});
  const app = await createApp(config, { logger });
  await app.start();
  const { key } = await issueApiKey(app.db.kysely, { name: 'bench', scopes: ['read'], rateLimit: 1e8, monthlyQuota: 1e8 }, Date.now());
  const auth = { authorization: `Bearer ${key}` };

  const hasRoute = (path: string) => API_ROUTES.some((r) => r.method === 'GET' && r.path === path);
  const path = hasRoute('/v1/providers') ? '/v1/providers' : '/v1/usage';
  const first = await fetch(`${app.url()}${path}`, { headers: auth });
  if (first.status !== 200) throw new Error(`GET ${path} answered ${first.status}: ${await first.text()}`);
  const json = await first.json();

  // The bare baseline and the guarded variant serve the same JSON from the same kind of h3 app.
  const bare = new H3();
  bare.get(path, () => json);
  const access = createApiAccess({ db: app.db, config: () => config, clock: systemClock, logger });
  access.start();
  const route = { method: 'GET', path, auth: 'read' } as ApiRoute;
  // The way every /v1 route writes its answer (with its request id), without the guard: shows the
  // writer is not what makes the guarded variant cheaper or dearer than bare.
  const writer = new H3();
  writer.get(path, (event) => apiJsonResponse(event, json));
  const guarded = new H3();
  guarded.get(path, (event) => {
    // The guard is synchronous once a key's monthly count is loaded; only then does it return a promise.
    const pending = access.guard(event, route);
    return pending ? pending.then(() => apiJsonResponse(event, json)) : apiJsonResponse(event, json);
  });
  const bareServer = await listen(bare, '127.0.0.1', 0);
  const writerServer = await listen(writer, '127.0.0.1', 0);
  const guardedServer = await listen(guarded, '127.0.0.1', 0);

  // Every variant gets the same request, key included (the bare handler ignores it), so the
  // difference between writer and guarded is the guard's work and its five response headers, and
  // between bare and writer the way /v1 answers are written (their request id included).
  const variants: Variant[] = [
    { name: 'bare', url: `${bareServer.url}${path}`, headers: auth },
    { name: 'writer', url: `${writerServer.url}${path}`, headers: auth },
    { name: 'guarded', url: `${guardedServer.url}${path}`, headers: auth },
    { name: 'providers', url: `${app.url()}${path}`, headers: auth },
  ];
  if (hasRoute('/v1/providers/:slug/metrics')) variants.push({ name: 'metrics', url: `${app.url()}/v1/providers/openai/metrics?window=1h`, headers: auth });
  process.on('message', async (message: string) => {
    if (message === 'cpu') process.send!({ cpu: process.cpuUsage() });
    if (message === 'stop') {
      await access.stop();
      await bareServer.close();
      await writerServer.close();
      await guardedServer.close();
      await app.stop();
      dir.remove();
      process.exit(0);
    }
  });
  process.send!({ variants, path, bytes: JSON.stringify(json).length } satisfies Ready);
}

function ask<T>(child: ChildProcess, message?: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as T));
    if (message) child.send(message);
  });
}

async function main(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { execArgv: ['--import', 'tsx'] });
  const ready = await ask<Ready>(child);
  const cpuNow = async () => {
    const { cpu } = await ask<{ cpu: NodeJS.CpuUsage }>(child, 'cpu');
    return cpu.user + cpu.system;
  };
  // Background CPU of the idle child (timers, deliverer polling), per µs of wall time.
  const idleStart = await cpuNow();
  const idleWall = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const idleRate = ((await cpuNow()) - idleStart) / ((performance.now() - idleWall) * 1000);
  const run = async (v: Variant, duration: number) => {
    const before = await cpuNow();
    const wall = performance.now();
    const result = await autocannon({ url: v.url, headers: v.headers, connections: CONNECTIONS, duration });
    const cpu = (await cpuNow()) - before - idleRate * (performance.now() - wall) * 1000;
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${v.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return { rps: result.requests.average, p99: result.latency.p99, cpuUs: cpu / Math.max(1, result.requests.total) };
  };

  const results = new Map<string, Array<{ rps: number; p99: number; cpuUs: number }>>(ready.variants.map((v) => [v.name, []]));
  for (const v of ready.variants) await run(v, 1); // warm-up: JIT, statement caches
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of round % 2 === 0 ? ready.variants : [...ready.variants].reverse()) results.get(v.name)!.push(await run(v, SECONDS));
  }
  child.send('stop');

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const bareRuns = results.get('bare')!;
  console.log(`api bench: ${ROUNDS} rounds × ${SECONDS}s per variant, ${CONNECTIONS} connections, path ${ready.path}, body ${ready.bytes} bytes, idle background ${(idleRate * 100).toFixed(2)}% of a core (subtracted)`);
  console.log('variant     req/s   p99 ms   server CPU µs/req   throughput vs bare   CPU/req vs bare');
  const ratio = new Map<string, { rps: number; cpu: number }>();
  for (const [name, runs] of results) {
    const r = { rps: median(runs.map((x, i) => x.rps / bareRuns[i]!.rps)), cpu: median(runs.map((x, i) => x.cpuUs / bareRuns[i]!.cpuUs)) };
    ratio.set(name, r);
    const row = [
      name.padEnd(10),
      median(runs.map((x) => x.rps)).toFixed(0).padStart(7),
      median(runs.map((x) => x.p99)).toFixed(1).padStart(8),
      median(runs.map((x) => x.cpuUs)).toFixed(0).padStart(19),
      `${(r.rps * 100).toFixed(0)}%`.padStart(20),
      `${(r.cpu * 100).toFixed(0)}%`.padStart(17),
    ];
    console.log(row.join(' '));
  }
  const g = ratio.get('guarded')!;
  console.log(`auth + rate limit + quota: throughput ${((1 - g.rps) * 100).toFixed(1)}% below bare; CPU per request +${((g.cpu - 1) * 100).toFixed(1)}% (goal: under 25%)`);
}

await (values.serve ? serve() : main());
