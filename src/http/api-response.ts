import type { H3Event } from 'h3';
import { FastResponse } from 'srvx';
import { requestIdOf } from './context.ts';

/**
 * How /v1 answers are written, and the headers the access guard adds to them.
 *
 * Every header of an API answer goes into one list handed to srvx's FastResponse, which passes it
 * to Node's `writeHead` as it is. The two other ways cost more per request, measured with
 * autocannon against the same JSON (scripts/bench/api.ts):
 * - h3's `event.res.headers` is a WHATWG Headers object; once it holds anything, h3 builds a
 *   native Response to merge it in, validating and sorting every header twice;
 * - `setHeader` on Node's response makes `writeHead` take its slow path, which calls `setHeader`
 *   again for every header h3 passes: about 9–11 µs per request for the five rate-limit headers,
 *   against about 2 µs in the list (a third of what the whole guard costs).
 * That is also why no `onRequest` hook sets the request id through h3's headers.
 */
const ACCESS_HEADERS = 'cappulseAccessHeaders';
const JSON_TYPE = 'application/json;charset=UTF-8';

/** Name/value pairs for every later answer to this request, errors included (the rate-limit headers). */
export function setAccessHeaders(event: H3Event, headers: Array<[string, string]>): void {
  (event.context as Record<string, unknown>)[ACCESS_HEADERS] = headers;
}

export function accessHeadersOf(event: H3Event): ReadonlyArray<[string, string]> {
  return ((event.context as Record<string, unknown>)[ACCESS_HEADERS] as Array<[string, string]> | undefined) ?? [];
}

/** A successful API answer: the body as given, its type, the request id and the access headers. */
export function apiResponse(event: H3Event, body: string, contentType: string, status = 200): Response {
  const headers: Array<[string, string]> = [
    ['content-type', contentType],
    ['x-request-id', requestIdOf(event)],
  ];
  for (const pair of accessHeadersOf(event)) headers.push(pair);
  return new FastResponse(body, { status, headers });
}

export function apiJsonResponse(event: H3Event, value: unknown, status = 200): Response {
  return apiResponse(event, JSON.stringify(value), JSON_TYPE, status);
}
