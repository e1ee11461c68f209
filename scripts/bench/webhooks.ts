// Webhook delivery: from a committed state change to the POST arriving at a local receiver
// (p50/p99, one healthy endpoint), and deliveries per second sustained over 10 endpoints.
// Baselines measured in the same run: a bare node:http keep-alive POST to the same receiver, one
// at a time (latency) and 16 at a time (throughput, CapPulse's default concurrency cap).
// Run: node --import tsx scripts/bench/webhooks.ts
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createApp } from '../../src/app.ts';
import { validateConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { enqueueEvent } from '../../src/store/events.ts';

const LATENCY_EVENTS = 400;
const THROUGHPUT_EVENTS = 600; // × 10 endpoints
const ENDPOINTS = 10;
const now = () => performance.timeOrigin + performance.now();

// The receiver runs in its own thread (its own event loop), stamps each arrival with an
// absolute time, answers 200 and reports the arrival to the main thread.
const RECEIVER = `
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const t = performance.timeOrigin + performance.now();
    res.end('ok');
    parentPort.postMessage({ id: req.headers['webhook-id'] ?? req.headers['x-bench-id'], t });
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
`;

type Arrival = { id: string; t: number };

async function startReceiver() {
  const worker = new Worker(RECEIVER, { eval: true });
  const listeners = new Set<(a: Arrival) => void>();
  const port = await new Promise<number>((resolve) => {
    worker.on('message', (message: { port?: number } & Arrival) => {
      if (message.port !== undefined) resolve(message.port);
      else for (const listen of listeners) listen(message);
    });
  });
  return { port, listeners, stop: () => worker.terminate() };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};

async function main() {
  const receiver = await startReceiver();
  const arrivals = new Map<string, number[]>();
  receiver.listeners.add((a) => {
    const list = arrivals.get(a.id) ?? [];
    list.push(a.t);
    arrivals.set(a.id, list);
  });
  const waitFor = (count: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => (count() ? resolve() : setTimeout(check, 1));
      check();
    });

  // Baseline 1: one bare POST at a time.
  const agent = new Agent({ keepAlive: true });
  const barePost = (id: string) =>
    new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: receiver.port, path: '/bare', method: 'POST', agent, headers: { 'x-bench-id': id, 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end('{"id":"evt_bench","type":"incident.created","data":{}}');
    });
  const bareLatency: number[] = [];
  for (let i = 0; i < LATENCY_EVENTS; i++) {
    const id = `bare_${i}`;
    const t0 = now();
    await barePost(id);
    await waitFor(() => arrivals.has(id));
    bareLatency.push(arrivals.get(id)![0]! - t0);
  }
  // Baseline 2: 16 bare POSTs in flight at once.
  const bareTotal = THROUGHPUT_EVENTS * ENDPOINTS;
  let next = 0;
  const bareStart = now();
  const bareCpuStart = process.cpuUsage();
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < bareTotal) await barePost(`bulk_${next++}`);
  }));
  const bareRate = bareTotal / ((now() - bareStart) / 1000);
  const bareCpu = process.cpuUsage(bareCpuStart);
  const bareCpuPerPost = (bareCpu.user + bareCpu.system) / bareTotal;
  agent.destroy();

  // CapPulse: the real app, a real SQLite file, config endpoints on the local receiver.
  const dir = mkdtempSync(join(tmpdir(), 'cappulse-bench-webhooks-'));
  const secret = `whsec_${Buffer.alloc(24, 9).toString('base64')}`;
  const endpoints = Array.from({ length: ENDPOINTS }, (_, i) => ({ url: `http://127.0.0.1:${receiver.port}/e${i}`, secret, events: [i === 0 ? 'incident.created' : 'incident.updated'] }));
  const config = validateConfig({ server: { port: 0 }, storage: { path: join(dir, 'bench.db') }, webhooks: { allow_private: true, endpoints } }, 'bench');
  const app = await createApp(config, { logger: createLogger({ level: 'warn' }) });
  await app.start();
  // A state change as the pipeline makes it: the event in a transaction, then the after-commit wake.
  const stateChange = async (type: 'incident.created' | 'incident.updated', count: number) => {
    const ids = await app.db.kysely.transaction().execute(async (trx) => {
      const out: string[] = [];
      for (let i = 0; i < count; i++) out.push((await enqueueEvent(trx, { type, data: { i }, incidentId: `inc_${i % 50}` }, Date.now())).id);
      return out;
    });
    app.deliverer.wake();
    return ids;
  };

  const latency: number[] = [];
  for (let i = 0; i < LATENCY_EVENTS; i++) {
    const t0 = now();
    const [id] = await stateChange('incident.created', 1);
    await waitFor(() => arrivals.has(id!));
    latency.push(arrivals.get(id!)![0]! - t0);
    await new Promise((r) => setTimeout(r, 5));
  }

  // Throughput: 9 endpoints subscribe to incident.updated; the tenth is added by one more batch.
  const start = now();
  const cpuStart = process.cpuUsage();
  const batch = await stateChange('incident.updated', THROUGHPUT_EVENTS);
  const more = await stateChange('incident.created', Math.round(THROUGHPUT_EVENTS / ENDPOINTS));
  const deliveriesExpected = batch.length * (ENDPOINTS - 1) + more.length;
  const delivered = () => [...batch, ...more].reduce((sum, id) => sum + (arrivals.get(id)?.length ?? 0), 0);
  await waitFor(() => delivered() >= deliveriesExpected);
  const rate = deliveriesExpected / ((now() - start) / 1000);
  const cpu = process.cpuUsage(cpuStart);
  const cpuPerDelivery = (cpu.user + cpu.system) / deliveriesExpected;

  await app.stop();
  await receiver.stop();
  rmSync(dir, { recursive: true, force: true });

  const ours = summary(latency);
  const bare = summary(bareLatency);
  const fmt = (n: number) => n.toFixed(2);
  console.log(`state change → delivery, 1 healthy endpoint, ${LATENCY_EVENTS} events`);
  console.log(`  CapPulse   p50 ${fmt(ours.p50)} ms   p99 ${fmt(ours.p99)} ms   (goal p99 < 250 ms: ${ours.p99 < 250 ? 'met' : 'NOT met'})`);
  console.log(`  bare POST  p50 ${fmt(bare.p50)} ms   p99 ${fmt(bare.p99)} ms   ratio p50 ${fmt(ours.p50 / bare.p50)}×, p99 ${fmt(ours.p99 / bare.p99)}×`);
  console.log(`sustained, ${ENDPOINTS} endpoints, ${deliveriesExpected} deliveries`);
  console.log(`  CapPulse   ${rate.toFixed(0)} deliveries/s   (goal ≥ 500/s: ${rate >= 500 ? 'met' : 'NOT met'})`);
  console.log(`  bare POST  ${bareRate.toFixed(0)} requests/s (16 in flight)   ratio ${(rate / bareRate).toFixed(2)}×`);
  console.log(`CPU time per delivery (this process, receiver thread included; load-independent, unlike the rates)`);
  console.log(`  CapPulse   ${cpuPerDelivery.toFixed(0)} µs   bare POST ${bareCpuPerPost.toFixed(0)} µs   ratio ${(cpuPerDelivery / bareCpuPerPost).toFixed(2)}×   → one free core: about ${Math.round(1e6 / cpuPerDelivery)} deliveries/s`);
}

await main();
