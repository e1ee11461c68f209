import type { CheckpointThreadMode } from '../config/schema.ts';
import type { Logger } from '../lib/logger.ts';
import type { Db } from './connect.ts';
import { startCheckpointThread, type CheckpointReport, type CheckpointThread } from './checkpoint-thread.ts';

/**
 * Where the WAL is checkpointed (`storage.checkpoint_thread`): by SQLite itself on the main
 * connection (every 1 000 pages, inside a commit), or on the checkpoint thread
 * (checkpoint-thread.ts), which costs about 10 MB of memory while it runs. `auto` runs the thread
 * while results are stored fast enough for the main thread's checkpoints to come often: one came
 * about every 230 results (scripts/bench/prober.ts's store), so about once a second at 200 a
 * second, every 46 s or so at 5 a second, and less often below.
 */
export interface Checkpoints {
  /** A result was committed: `auto` goes by how many a second. */
  wrote(): void;
  /** Starts or stops the thread as the mode and the last window's rate ask; start() and reload call it. */
  review(): Promise<void>;
  /** Whether the thread checkpoints now (the main connection does not). */
  onThread(): boolean;
  /** Checkpoints now on the thread; undefined when checkpoints are on the main connection. */
  checkpointNow(): Promise<CheckpointReport | undefined>;
  close(): Promise<void>;
}

export interface CheckpointOptions {
  mode: () => CheckpointThreadMode;
  logger: Logger;
  /** The better-sqlite3 addon's file when it is not in node_modules (the standalone executable). */
  addonFile?: string;
  /** How often the rate is looked at (default 10 s). */
  windowMs?: number;
  /** `auto` starts the thread from this many results a second over a window (default 5)... */
  startPerSecond?: number;
  /** ...and stops it after this many windows in a row below that (default 30: five minutes). */
  quietWindows?: number;
  /** How often the thread checkpoints (default 1 s). */
  intervalMs?: number;
  /** Calls `tick` at the end of every window until the returned function is called; tests tick by hand. */
  windows?: (tick: () => void, windowMs: number) => () => void;
}

const everyWindow = (tick: () => void, windowMs: number) => {
  const timer = setInterval(tick, windowMs);
  timer.unref();
  return () => clearInterval(timer);
};

/** SQLite's own default, restored whenever the main connection checkpoints again. */
const AUTOCHECKPOINT_PAGES = 1000;

export function createCheckpoints(db: Db, options: CheckpointOptions): Checkpoints {
  const { mode, windowMs = 10_000, startPerSecond = 5, quietWindows = 30, intervalMs = 1000 } = options;
  const log = options.logger.child('checkpoints');
  let thread: CheckpointThread | null = null;
  /** After a failure the main connection checkpoints for the rest of the process's life. */
  let failed = false;
  let closed = false;
  let writes = 0;
  let rate = 0;
  let quiet = 0;
  /** Starts and stops run one after another. */
  let turn: Promise<void> = Promise.resolve();

  const useMain = () => db.sqlite.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);

  const lost = (error: Error) => {
    thread = null;
    failed = true;
    useMain();
    log.error('checkpoint_thread_failed', { error, checkpoints: 'on the main connection again' });
  };

  const start = async () => {
    try {
      thread = await startCheckpointThread({ path: db.path, intervalMs, ...(options.addonFile === undefined ? {} : { addonFile: options.addonFile }) }, lost);
    } catch (error) {
      lost(error as Error);
      return;
    }
    // Only now that the thread checkpoints: the WAL is never left without anyone doing it.
    db.sqlite.pragma('wal_autocheckpoint = 0');
    log.info('checkpoints_moved', { to: 'thread', mode: mode(), results_per_second: rate });
  };

  const stop = async (why: string) => {
    const stopping = thread!;
    thread = null;
    // The other way round: the main connection takes over before the thread stops.
    useMain();
    await stopping.close();
    log.info('checkpoints_moved', { to: 'main', why });
  };

  const wanted = (): boolean => {
    const now = mode();
    if (closed || failed || now === 'never') return false;
    if (now === 'always') return true;
    return rate >= startPerSecond || (thread !== null && quiet < quietWindows);
  };

  const review = (): Promise<void> => {
    turn = turn.then(async () => {
      const want = wanted();
      if (want && thread === null) await start();
      else if (!want && thread !== null) await stop(closed ? 'closing' : mode() === 'never' ? 'mode never' : 'results came slower');
    });
    return turn;
  };

  const stopWindows = (options.windows ?? everyWindow)(() => {
    rate = writes / (windowMs / 1000);
    writes = 0;
    quiet = rate >= startPerSecond ? 0 : quiet + 1;
    void review();
  }, windowMs);

  return {
    wrote: () => {
      writes += 1;
    },
    review,
    onThread: () => thread !== null,
    checkpointNow: async () => (thread === null ? undefined : thread.checkpoint()),
    async close() {
      closed = true;
      stopWindows();
      await review();
    },
  };
}
