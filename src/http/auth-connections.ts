import type { H3Event } from 'h3';

/**
 * The Authorization header each keep-alive connection last authenticated with, and the digest it
 * hashed to, so the connection's next requests with the same header skip SHA-256.
 *
 * Why: under load, hashing the key with node:crypto cost about 7–15 µs of server CPU per request
 * (0.4 µs in a hot loop; OpenSSL's one-shot digest runs cold between requests), the largest part
 * of what the guard adds to an answer (scripts/bench/api.ts, BENCHMARKS.md "api").
 *
 * What is kept, and for how long: the header text of the connection's last authenticated request,
 * which Node holds anyway while that request is served, stays referenced until the connection is
 * closed and collected (server.ts closes an idle keep-alive connection after 5 s). Nothing is
 * written anywhere, and only a connection that itself sent the header can match it.
 *
 * The remembered digest is only a shortcut to the key cache: the guard still looks the key up
 * there on every request (so a revoke, even by another process, still takes effect within
 * KEY_RECHECK_MS) and still checks expiry. The header is compared without stopping at the first
 * difference, so behind a proxy that reuses one connection for several clients, one client cannot
 * learn another's key from how long a refusal takes.
 */
export interface ConnectionDigests {
  /** The digest remembered for this request's connection, when `header` is the header it was remembered with. */
  recall(event: H3Event, header: string): string | undefined;
  remember(event: H3Event, header: string, digest: string): void;
}

export function createConnectionDigests(): ConnectionDigests {
  // Keyed by the socket: an entry goes when the connection does.
  const byConnection = new WeakMap<object, { header: string; digest: string }>();
  return {
    recall(event, header) {
      const socket = event.runtime?.node?.req.socket;
      const known = socket === undefined ? undefined : byConnection.get(socket);
      return known !== undefined && sameText(known.header, header) ? known.digest : undefined;
    },
    remember(event, header, digest) {
      const socket = event.runtime?.node?.req.socket;
      if (socket !== undefined) byConnection.set(socket, { header, digest });
    },
  };
}

/**
 * String equality that reads every character whatever it finds: its time depends on the length
 * only (and an API key's length is public: its format is documented).
 */
export function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
