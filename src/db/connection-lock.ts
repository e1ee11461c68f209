import { SqliteDialect, type DatabaseConnection, type Driver, type TransactionSettings } from 'kysely';

/**
 * Who holds the one SQLite connection. kysely's SQLite driver keeps its own lock (a mutex taken
 * with an await, for every query and transaction); here kysely's driver waits for this one
 * instead, and the pipeline can also take it synchronously when it is free (`tryTake`). A probe's
 * transaction is then begun, filled and committed in one synchronous stretch, without kysely's
 * connection hand-off: its promises and async frames (kysely's and the pipeline's) were about 8
 * of the 54 KiB a probe allocated at 500 in flight, and every allocation brings the next young-generation collection
 * nearer, which stops the loop the probes are timed on (scripts/bench/prober.ts, BENCHMARKS.md).
 */
export interface ConnectionLock {
  /** Takes the connection if nobody holds it; true when taken. */
  tryTake(): boolean;
  /** Resolves with the connection taken, after everyone who asked before. */
  take(): Promise<void>;
  release(): void;
}

export function createConnectionLock(): ConnectionLock {
  let held = false;
  const waiting: Array<() => void> = [];
  return {
    tryTake() {
      if (held) return false;
      held = true;
      return true;
    },
    take() {
      if (!held) {
        held = true;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    release() {
      // Handed straight to the next in line: a tryTake in between cannot jump the queue.
      const next = waiting.shift();
      if (next) next();
      else held = false;
    },
  };
}

/** kysely's driver, waiting for `lock` before it uses the connection and letting go after. */
class LockedDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly lock: ConnectionLock,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.lock.take();
    try {
      return await this.inner.acquireConnection();
    } catch (error) {
      this.lock.release();
      throw error;
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      await this.inner.releaseConnection(connection);
    } finally {
      this.lock.release();
    }
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }

  savepoint: Driver['savepoint'] = (...args) => this.inner.savepoint!(...args);
  rollbackToSavepoint: Driver['rollbackToSavepoint'] = (...args) => this.inner.rollbackToSavepoint!(...args);
  releaseSavepoint: Driver['releaseSavepoint'] = (...args) => this.inner.releaseSavepoint!(...args);

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** kysely's SQLite dialect whose every query and transaction waits for `lock`. */
export class LockedSqliteDialect extends SqliteDialect {
  constructor(
    config: ConstructorParameters<typeof SqliteDialect>[0],
    private readonly lock: ConnectionLock,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new LockedDriver(super.createDriver(), this.lock);
  }
}
