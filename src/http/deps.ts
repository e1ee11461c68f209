import type { Config } from '../config/schema.ts';
import type { Db } from '../db/connect.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import type { WindowCache } from '../store/window-cache.ts';
import type { ApiAccess } from './auth.ts';

/** What route handlers may use; built once by createApp and passed to every route module. */
export interface HttpDeps {
  db: Db;
  /** The running config; a reload replaces it, so read it through the getter. */
  config: () => Config;
  clock: Clock;
  logger: Logger;
  version: string;
  startedAt: number;
  /** Keys, rate limits and usage; createApp owns it (to flush usage on stop). Built by createHttpApp when absent. */
  access?: ApiAccess;
  /** The webhook deliverer, woken when a route queues a delivery (test, redeliver, recover). */
  webhooks?: { wake(): void };
  /** Merged closed time of metrics windows, kept in memory. Built by createHttpApp when absent. */
  windows?: WindowCache;
}
