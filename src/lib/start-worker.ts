import { Worker, type WorkerOptions } from 'node:worker_threads';
import { seaAsset } from './sea.ts';

/**
 * Starts one of our threads. Inside the executable it runs the entry's bundled copy, embedded as
 * the SEA asset `asset` (scripts/build.mjs): there is no source tree. From a checkout it runs the
 * TypeScript module `entry()` names, through tsx (ts-worker.mjs); `entry` is only called there,
 * since inside the executable source paths mean nothing.
 */
export function startWorker(asset: string, entry: () => URL, options: WorkerOptions = {}): Worker {
  const embedded = seaAsset(asset);
  if (embedded) return new Worker(Buffer.from(embedded).toString('utf8'), { ...options, eval: true });
  return new Worker(new URL('./ts-worker.mjs', import.meta.url), { ...options, argv: [entry().href] });
}
