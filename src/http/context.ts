import type { H3Event } from 'h3';
import { prefixedId } from '../lib/ids.ts';

/** Per-request values kept on the h3 event context. */
const REQUEST_ID = 'cappulseRequestId';

export function requestIdOf(event: H3Event): string {
  const context = event.context as Record<string, unknown>;
  let id = context[REQUEST_ID] as string | undefined;
  if (!id) {
    id = prefixedId('req', 16);
    context[REQUEST_ID] = id;
  }
  return id;
}
