import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { dlopenAddon } from '../lib/addon-cache.ts';
import { setPragmas } from './pragmas.ts';
import type { CheckpointReport, CheckpointerData, FromCheckpointer, ToCheckpointer } from './checkpoint-thread.ts';

/**
 * The checkpoint thread (checkpoint-thread.ts): its own connection to the database file, which
 * checkpoints the WAL every `intervalMs` and on request, and does nothing else.
 */
const port = parentPort;
if (port === null) throw new Error('internal: checkpoint-worker.ts runs only as the checkpoint thread');
const { path, addonFile, intervalMs } = workerData as CheckpointerData;

const db = new BetterSqlite3(path, { fileMustExist: true, ...(addonFile === undefined ? {} : { nativeBinding: dlopenAddon(addonFile) as string }) });
// As the main connection: a lock held elsewhere (a WAL-index being rebuilt) is waited for, not an
// error, and the checkpoint's fsyncs are the main connection's. A checkpoint that throws anyway
// ends the thread and hands checkpoints back (checkpoints.ts).
setPragmas(db, { wal: false });

/** PASSIVE never waits for the writer, nor makes it wait: it copies what it can and returns. */
const checkpoint = (): CheckpointReport => {
  const [row] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
  return { busy: row!.busy === 1, frames: row!.log, copied: row!.checkpointed };
};

const timer = setInterval(checkpoint, intervalMs);
port.on('message', (message: ToCheckpointer) => {
  if (message.type === 'checkpoint') {
    port.postMessage({ type: 'checkpointed', id: message.id, report: checkpoint() } satisfies FromCheckpointer);
    return;
  }
  clearInterval(timer);
  db.close();
  port.close();
});
port.postMessage({ type: 'ready' } satisfies FromCheckpointer);
