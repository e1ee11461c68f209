import { startWorker } from '../lib/start-worker.ts';

/**
 * A worker thread with its own connection to the database file, that checkpoints the WAL.
 *
 * SQLite checkpoints inside the commit that takes the WAL past 1 000 pages, on the connection that
 * commits: ours, on the main thread. A checkpoint is two fsyncs; it held the main thread for 3 to
 * 11 ms at a time, about once a second at 200 stored results a second, where every probe answer
 * read meanwhile waited with its timestamp (scripts/bench/prober.ts, BENCHMARKS.md). Run here, the
 * fsyncs wait on this thread; the main connection only appends to the WAL. checkpoints.ts decides
 * when this thread runs.
 */
export interface CheckpointThread {
  /** Checkpoints now (the thread also does every `intervalMs`). */
  checkpoint(): Promise<CheckpointReport>;
  /** Closes the thread's connection and ends the thread. */
  close(): Promise<void>;
}

/** What one checkpoint found: the WAL's frames, how many are now in the database file, and whether it was cut short. */
export interface CheckpointReport {
  busy: boolean;
  frames: number;
  copied: number;
}

/** The SEA asset key of the bundled checkpoint thread (scripts/build.mjs). */
export const CHECKPOINT_WORKER_ASSET = 'checkpoint-worker.cjs';

export interface CheckpointerData {
  path: string;
  /** The better-sqlite3 addon's file when it is not in node_modules (the standalone executable). */
  addonFile?: string;
  intervalMs: number;
}

export type ToCheckpointer = { type: 'checkpoint'; id: number } | { type: 'close' };
export type FromCheckpointer = { type: 'ready' } | { type: 'checkpointed'; id: number; report: CheckpointReport };

/**
 * Starts the thread; resolves once its connection is open. `onLost` is called if the thread fails
 * afterwards (not after close()).
 */
export function startCheckpointThread(data: CheckpointerData, onLost: (error: Error) => void): Promise<CheckpointThread> {
  const worker = startWorker(CHECKPOINT_WORKER_ASSET, () => new URL('./checkpoint-worker.ts', import.meta.url), { workerData: data });
  const asked = new Map<number, { resolve(report: CheckpointReport): void; reject(error: Error): void }>();
  let nextId = 0;
  let closing = false;

  return new Promise((resolve, reject) => {
    let ready = false;
    const lost = (error: Error) => {
      if (closing) return;
      closing = true;
      for (const ask of asked.values()) ask.reject(error);
      asked.clear();
      if (!ready) return reject(error);
      onLost(error);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the checkpoint thread exited with code ${code}`)));
    worker.on('message', (message: FromCheckpointer) => {
      if (message.type === 'ready') {
        ready = true;
        // Kept alive by whoever awaits it (a start, a checkpoint, a close), never by its timer.
        worker.unref();
        resolve(handle());
        return;
      }
      asked.get(message.id)?.resolve(message.report);
      asked.delete(message.id);
      if (asked.size === 0) worker.unref();
    });
  });

  function handle(): CheckpointThread {
    return {
      checkpoint() {
        if (closing) return Promise.reject(new Error('the checkpoint thread is not running'));
        const id = nextId++;
        return new Promise((resolve, reject) => {
          asked.set(id, { resolve, reject });
          worker.ref();
          worker.postMessage({ type: 'checkpoint', id } satisfies ToCheckpointer);
        });
      },
      async close() {
        if (closing) return;
        closing = true;
        const exited = new Promise((done) => worker.once('exit', done));
        worker.ref();
        worker.postMessage({ type: 'close' } satisfies ToCheckpointer);
        await exited;
      },
    };
  }
}
