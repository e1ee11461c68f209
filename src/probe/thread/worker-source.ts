import { seaAsset } from '../../lib/sea.ts';

/** The SEA asset key of the bundled timing thread (scripts/build/bundle.mjs, bundleProbeWorker). */
export const PROBE_WORKER_ASSET = 'probe-worker.cjs';

/**
 * What `new Worker` runs for the timing thread: inside the executable, the bundled copy embedded
 * as an asset (there is no source tree); from a checkout, the TypeScript source through tsx.
 */
export function probeWorkerSource(): { code: string } | { url: URL } {
  const embedded = seaAsset(PROBE_WORKER_ASSET);
  if (embedded) return { code: Buffer.from(embedded).toString('utf8') };
  return { url: new URL('./worker-dev.mjs', import.meta.url) };
}
