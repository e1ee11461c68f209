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

interface Persisted {
  stored: StoredResult;
  committed: Committed;
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

  /**
   * The result and every stage, in one transaction. Without a promise while every stage returns
   * without one (the common case: a stage needs a kysely query only when an incident changes), so
   * a probe's transaction is one synchronous stretch (src/db/connection-lock.ts says why).
   */
  const apply = (tx: StoreTx, target: ProbeTarget, result: ProbeResult): Persisted | Promise<Persisted> => {
    const stored = insertResult(tx, target.id, result);
    const committed: Committed = { outboxEvents: 0 };
    for (let i = 0; i < stages.length; i += 1) {
      const applied = stages[i]!.apply(tx, target, stored);
      if (applied instanceof Promise) return applyRest(tx, target, { stored, committed }, applied, i + 1);
      committed.outboxEvents += applied ?? 0;
    }
    return { stored, committed };
  };

  const applyRest = async (tx: StoreTx, target: ProbeTarget, persisted: Persisted, pending: Promise<void | number>, next: number): Promise<Persisted> => {
    persisted.committed.outboxEvents += (await pending) ?? 0;
    for (const stage of stages.slice(next)) {
      const applied = stage.apply(tx, target, persisted.stored);
      persisted.committed.outboxEvents += (applied instanceof Promise ? await applied : applied) ?? 0;
    }
    return persisted;
  };

  const rolledBack = (target: ProbeTarget, error: unknown): never => {
    for (const stage of stages) stage.rolledBack?.(target);
    throw error;
  };

  const persist = (target: ProbeTarget, result: ProbeResult): Persisted | Promise<Persisted> => {
    try {
      const persisted = inTransaction(db, (tx) => apply(tx, target, result));
      return persisted instanceof Promise ? persisted.catch((error: unknown) => rolledBack(target, error)) : persisted;
    } catch (error) {
      return rolledBack(target, error);
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

  const done = (target: ProbeTarget, { stored, committed }: Persisted): StoredResult => {
    for (const stage of stages) stage.committed?.(target);
    alert(target, stored, committed);
    return stored;
  };

  return {
    record(target, result) {
      try {
        const persisted = persist(target, result);
        return persisted instanceof Promise ? persisted.then((p) => done(target, p)) : Promise.resolve(done(target, persisted));
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}
