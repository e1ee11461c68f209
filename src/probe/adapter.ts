import type { ResolvedTarget } from '../config/targets.ts';
import type { Failure } from './classify.ts';
import { boundedMemo } from '../lib/memo.ts';

/**
 * The contract every probe adapter meets (DESIGN.md §4): build one small request, then read the
 * response body. Timing, timeouts, error statuses and secret scrubbing are the runner's job, so
 * an adapter is only what differs between provider families. Registered in adapters/registry.ts.
 */
export interface ProbeRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface ReadOutcome {
  failure: Failure | null;
  outputTokens: number | null;
  /** An id from the body (`chatcmpl-…`, `msg_…`), used when no request-id header came. */
  responseId: string | null;
}

export interface BodyReader {
  /** Feeds decoded response text; `at` is the monotonic time the chunk arrived. */
  feed(text: string, at: number): void;
  /** Monotonic time of the first content token, or null while there is none. */
  readonly firstTokenAt: number | null;
  /** A failure seen mid-stream; the runner stops reading when one appears. */
  readonly failure: Failure | null;
  /** The body ended cleanly: decide the outcome. */
  finish(): ReadOutcome;
}

export interface ProbeAdapter {
  /** Streams have content tokens; a liveness check has none, so its ttft stays null. */
  readonly measuresTokens: boolean;
  buildRequest(target: ResolvedTarget, nonce: string): ProbeRequest;
  /** Whether this status means "read the body as a success" rather than "classify the failure". */
  isExpectedStatus(status: number, target: ResolvedTarget): boolean;
  createReader(target: ResolvedTarget): BodyReader;
}

const joined = boundedMemo((key) => {
  const [base, path] = key.split('\n') as [string, string];
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  return url.toString();
});

/** `{base_url}/path` without doubling or dropping the slash between them. */
export function joinUrl(base: string, path: string): string {
  return joined(`${base}\n${path}`);
}

/** The host name of a base URL, parsed once per URL. */
export const hostnameOf = boundedMemo((url) => new URL(url).hostname);

export function probePrompt(target: ResolvedTarget, nonce: string): string {
  // The nonce makes every prompt unique, so no cache in front of the model can answer it.
  return `${target.prompt} (${nonce})`;
}

export function jsonHeaders(target: ResolvedTarget, auth: Record<string, string>): Record<string, string> {
  return { 'content-type': 'application/json', accept: 'text/event-stream', ...auth, ...target.provider.headers };
}
