import { z } from 'zod';
import { AppError } from '../lib/errors.ts';

/**
 * Lists are `{data, has_more, next_cursor}`. Cursors are opaque to clients (base64url JSON of the
 * last row's sort key), so the order can change server-side without breaking them.
 *
 * `limit` and `cursor` of a list whose cursors hold a `key` (the schema its handler decodes them with).
 */
/** The most rows one page may hold; also the most a response embeds of a list it cannot show whole. */
export const MAX_PAGE = 100;

export function pageQuery<K>(key: z.ZodType<K>, exampleKey: NoInfer<K>) {
  return {
    limit: z.coerce.number().int().min(1, `must be between 1 and ${MAX_PAGE}`).max(MAX_PAGE, `must be between 1 and ${MAX_PAGE}`).default(20).meta({ example: 50 }),
    // A made-up string would be an example the server rejects; the key of the list's example row,
    // encoded the way next_cursor is, is one it accepts.
    cursor: z.string().optional().meta({ example: encodeCursor(key.parse(exampleKey)) }),
  };
}

export function listSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), has_more: z.boolean(), next_cursor: z.string().nullable() });
}

export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T>(cursor: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new AppError('invalid_request', 'query parameter "cursor": not a cursor this API returned (pass next_cursor unchanged)');
  }
}

/** Given limit+1 rows fetched, builds the page. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => unknown): { data: T[]; has_more: boolean; next_cursor: string | null } {
  const has_more = rows.length > limit;
  const data = has_more ? rows.slice(0, limit) : rows;
  const last = data.at(-1);
  return { data, has_more, next_cursor: has_more && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
