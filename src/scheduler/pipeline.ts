import type { Db } from '../db/connect.ts';
import type { Logger } from '../lib/logger.ts';
import type { ProbeResult, ProbeTarget } from '../probe/types.ts';
import { inTransaction, type StoreTx } from '../store/compiled-once.ts';
import { createResultInserter, type StoredResult } from '../store/results.ts';

/**
 * The pipeline step, named the way good monitors name it: evaluate (the probe, done before we
 * get here), persist (one transaction: the result, then every stage — rollups, status, outbox),
 * then alert (after-commit hooks wake the deliverer). A webhook is never sent for a state that
 * was not committed, and nothing network-bound runs inside the transaction.
 */
export interface PipelineStage {
  name: string;
  /**
   * Runs inside the result's transaction; must use `tx`, never the outer database. A stage that
   * writes outbox events returns how many, so the hooks know whether there is anything to send.
   * A stage whose every probe needs only `tx.run` returns without a promise.
   */
  apply(tx: StoreTx, target: ProbeTarget, stored: StoredResult): void | number | Promise<void | number>;
  /** The transaction `apply` ran in was rolled back: drop anything kept from it. */
  rolledBack?(target: ProbeTarget): void;
  /** The transaction `apply` ran in committed: do what had to wait for that (log what happened). */
  committed?(target: ProbeTarget): void;
}

/** What a committed transaction did besides storing its result. */
export interface Committed {
  outboxEvents: number;
}

export interface AfterCommitHook {
  name: string;
  run(target: ProbeTarget, stored: StoredResult, committed: Committed): void;
}

export interface Pipeline {
  record(target: ProbeTarget, result: ProbeResult): Promise<StoredResult>;
}

export function createPipeline(deps: {
  db: Db;
  stages: readonly PipelineStage[];
  afterCommit: readonly AfterCommitHook[];
  logger: Logger;
}): Pipeline {
  const { db, stages, afterCommit, logger } = deps;
  const insertResult = createResultInserter();

  const persist = async (target: ProbeTarget, result: ProbeResult) => {
    try {
      return await inTransaction(db, async (tx) => {
        const stored = insertResult(tx, target.id, result);
        const committed: Committed = { outboxEvents: 0 };
        for (const stage of stages) {
          const applied = stage.apply(tx, target, stored);
          committed.outboxEvents += (applied instanceof Promise ? await applied : applied) ?? 0;
        }
        return { stored, committed };
      });
    } catch (error) {
      for (const stage of stages) stage.rolledBack?.(target);
      throw error;
    }
  };

  const alert = (target: ProbeTarget, stored: StoredResult, committed: Committed) => {
    for (const hook of afterCommit) {
      try {
        hook.run(target, stored, committed);
      } catch (error) {
        logger.error('after_commit_failed', { hook: hook.name, target: target.key, error });
      }
    }
  };

  return {
    async record(target, result) {
      const { stored, committed } = await persist(target, result);
      for (const stage of stages) stage.committed?.(target);
      alert(target, stored, committed);
      return stored;
    },
  };
}
