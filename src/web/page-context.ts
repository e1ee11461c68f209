import type { Kysely } from 'kysely';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import type { WindowCache } from '../store/window-cache.ts';
import type { Memo } from './memo.ts';

/** What a page needs to render: the store, the running config, and one `now` for the whole page. */
export interface PageContext {
  db: Kysely<Database>;
  config: Config;
  now: number;
  query: URLSearchParams;
  /** Answers for closed time ranges, shared by every request of this server. */
  memo: Memo;
  /** Merged closed time of metrics windows, shared with the API (createHttpApp). */
  windows?: WindowCache;
}

/** A query value from a fixed list, falling back to the default for anything else. */
export function pick<T extends string>(query: URLSearchParams, name: string, allowed: readonly T[], fallback: T): T {
  const value = query.get(name);
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

export function providerHref(slug: string): string {
  return `/providers/${encodeURIComponent(slug)}`;
}

export function modelHref(slug: string): string {
  return `/models/${encodeURIComponent(slug)}`;
}

export function incidentHref(id: string): string {
  return `/incidents/${encodeURIComponent(id)}`;
}
