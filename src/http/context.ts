import type { H3Event } from 'h3';
import { randomBase62 } from '../lib/ids.ts';

/** Per-request values kept on the h3 event context. */
const REQUEST_ID = 'cappulseRequestId';

/**
 * Request ids name a request in the log; they are not secrets. A random prefix drawn once per
 * process and a counter keep them unique across restarts without drawing random bytes for every
 * request: even pooled, that cost about 5 µs per API answer (scripts/bench/api.ts, `writer`).
 * Still `req_` and 16 letters and digits, as before.
 */
const PROCESS_PREFIX = randomBase62(8);
let sequence = 0;

export function requestIdOf(event: H3Event): string {
  const context = event.context as Record<string, unknown>;
  let id = context[REQUEST_ID] as string | undefined;
  if (!id) {
    id = newRequestId();
    context[REQUEST_ID] = id;
  }
  return id;
}

/** A fresh id, for an answer given before h3 has an event (a request Node's parser refused). */
export function newRequestId(): string {
  sequence += 1;
  return `req_${PROCESS_PREFIX}${sequence.toString(36).padStart(8, '0')}`;
}
