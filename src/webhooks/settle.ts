import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Logger } from '../lib/logger.ts';
import { logSettled, settleAttempts, type AttemptSettings, type Sent } from './attempt.ts';

/**
 * Writes finished attempts, batching those that end in the same turn of the event loop into one
 * transaction: at hundreds of deliveries a second, a transaction per attempt costs more than the
 * attempts' own rows. Each caller's promise resolves once its attempt is committed.
 */
export function createSettler(db: Kysely<Database>, settings: () => AttemptSettings, log: Logger): (sent: Sent) => Promise<void> {
  let queue: Array<{ sent: Sent; done: () => void; failed: (error: unknown) => void }> = [];
  let flushQueued = false;

  const flush = async () => {
    flushQueued = false;
    const batch = queue;
    queue = [];
    const current = settings();
    try {
      const outcomes = await db.transaction().execute((trx) => settleAttempts(trx, batch.map((item) => item.sent), current));
      batch.forEach((item, i) => {
        logSettled(log, item.sent, outcomes[i]!);
        item.done();
      });
    } catch (error) {
      for (const item of batch) item.failed(error);
    }
  };

  return (sent) =>
    new Promise<void>((done, failed) => {
      queue.push({ sent, done, failed });
      if (!flushQueued) {
        flushQueued = true;
        setImmediate(() => void flush());
      }
    });
}
