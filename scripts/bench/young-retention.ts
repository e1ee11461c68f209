/**
 * What V8's young-generation collections keep of garbage, per way of writing the same object.
 *
 * Three shapes of code made every finished probe outlive its collection and be promoted, so the
 * prober paused twice as long as the bare node:http loop it is compared with (BENCHMARKS.md,
 * prober, "What young-generation collections kept"): an object literal with getters, an object
 * spread copy (`{ ...o }`), and an ordinary options object given to net.createConnection. Each
 * variant here keeps 100 objects alive at a time, each holding 200 small objects for 500 ms (as
 * 100 probes in flight hold their state), among short-lived garbage enough for a collection every
 * two seconds or so with the young generation fixed at 16 MB: anything a collection promotes has
 * outlived its 500 ms. Each runs in a process of its own with --trace-gc-nvp. Printed: what each
 * collection promoted once warm (the first two left out) and how long it paused, next to the plain
 * literal's in the same run, which is the baseline (it promotes about nothing).
 *
 * Run: node --import tsx scripts/bench/young-retention.ts   (about two and a half minutes)
 */
import { spawn } from 'node:child_process';

const SECONDS = Number(process.env.SECONDS_PER_VARIANT ?? 20);

/** `make()` returns one object standing for a probe in flight; `done(o)` ends it. */
const LOOP = `
const end = performance.now() + ${SECONDS * 1000};
const junk = () => Array.from({ length: 200 }, (_, i) => ({ i }));
// Short-lived garbage besides, about 8 MB a second, so that a collection comes every two seconds or so.
let churn = null;
const churning = setInterval(() => { for (let i = 0; i < 20000; i += 1) churn = { i }; }, 40);
async function worker(w) {
  await new Promise((r) => setTimeout(r, w * 5));
  while (performance.now() < end) await new Promise((resolve) => { const o = make(); setTimeout(() => { done(o); resolve(); }, 500); });
}
Promise.all(Array.from({ length: 100 }, (_, w) => worker(w))).then(() => { clearInterval(churning); if (typeof after === 'function') after(); });
`;

const VARIANTS: Array<{ name: string; code: string }> = [
  { name: 'plain literal (baseline)', code: `const make = () => { const held = junk(); return { held, read() { return held; } }; }; const done = () => {};` },
  { name: 'literal with a getter', code: `const make = () => { const held = junk(); return { get held() { return held; } }; }; const done = () => {};` },
  { name: 'class with a getter', code: `class R { #held = junk(); get held() { return this.#held; } } const make = () => new R(); const done = () => {};` },
  { name: 'spread copy { ...o }', code: `const make = () => { const c = { ...{ host: 'h', port: 1 } }; c.held = junk(); return c; }; const done = () => {};` },
  { name: 'null-prototype spread', code: `const make = () => { const c = { __proto__: null, ...{ host: 'h', port: 1 } }; c.held = junk(); return c; }; const done = () => {};` },
  {
    name: 'net.createConnection({ host, port })',
    code: `const net = require('node:net'); const server = net.createServer((s) => s.on('error', () => {})).listen(0, '127.0.0.1'); const after = () => server.close();
const make = () => { const s = net.createConnection({ host: '127.0.0.1', port: server.address().port }); s.on('error', () => {}); s.held = junk(); return s; }; const done = (s) => s.destroy();`,
  },
  {
    name: 'net.createConnection, null prototype',
    code: `const net = require('node:net'); const server = net.createServer((s) => s.on('error', () => {})).listen(0, '127.0.0.1'); const after = () => server.close();
const make = () => { const s = net.createConnection({ __proto__: null, host: '127.0.0.1', port: server.address().port }); s.on('error', () => {}); s.held = junk(); return s; }; const done = (s) => s.destroy();`,
  },
];

interface Collections {
  promotedKb: number[];
  pauseMs: number[];
}

function run(code: string): Promise<Collections> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--min-semi-space-size=16', '--max-semi-space-size=16', '--trace-gc-nvp', '-e', `${code}\n${LOOP}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
    child.on('error', reject);
    child.on('close', () => {
      const scavenges = out.split('\n').filter((line) => / gc=s /.test(line));
      const field = (line: string, name: string) => Number(new RegExp(`\\b${name}=([\\d.]+)`).exec(line)?.[1] ?? Number.NaN);
      const warm = scavenges.slice(2);
      resolve({ promotedKb: warm.map((line) => Math.round(field(line, 'promoted') / 1024)), pauseMs: warm.map((line) => field(line, 'pause')) });
    });
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
};

console.log(`100 objects alive at a time, 500 ms each, young generation fixed at 16 MB, ${SECONDS} s per variant`);
console.log('variant                              | collections | promoted KB per collection, median | over the baseline | pause ms, median | pause vs baseline');
let baseline: { promoted: number; pause: number } | null = null;
for (const variant of VARIANTS) {
  const { promotedKb, pauseMs } = await run(variant.code);
  const promoted = median(promotedKb);
  const pause = median(pauseMs);
  baseline ??= { promoted, pause };
  console.log(
    `${variant.name.padEnd(36)} | ${String(promotedKb.length).padStart(11)} | ${String(promoted).padStart(34)} | ${`+${promoted - baseline.promoted} KB`.padStart(17)} | ${pause.toFixed(1).padStart(16)} | ${`${(pause / baseline.pause).toFixed(2)}x`.padStart(17)}`,
  );
}
