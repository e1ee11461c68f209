import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { guardedLookup, literalRefusal, type SsrfPolicy } from './ssrf.ts';

/**
 * One webhook POST with node:http(s): a hard deadline over the whole exchange, redirects never
 * followed (a 3xx is an answer like any other non-2xx: following it would let a receiver bounce
 * our signed body to an address the SSRF guard refused), and only the first 1 KB of the answer
 * kept. Network failures are results, not exceptions.
 */
export const EXCERPT_BYTES = 1024;
/** Past this we stop reading: a receiver's answer is not ours to store. */
const MAX_READ_BYTES = 256 * 1024;

export interface PostResult {
  status: number | null;
  retryAfter: string | null;
  excerpt: string | null;
  error: string | null;
  durationMs: number;
}

export interface Poster {
  post(url: string, headers: Record<string, string>, body: string): Promise<PostResult>;
  close(): void;
}

export interface PosterOptions {
  policy: () => SsrfPolicy;
  timeoutMs: () => number;
  monotonic: () => number;
}

export function createPoster(options: PosterOptions): Poster {
  // Keep-alive: a busy endpoint gets many deliveries, and a TLS handshake each would dominate.
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

  const post = (url: string, headers: Record<string, string>, body: string): Promise<PostResult> => {
    const started = options.monotonic();
    const elapsed = () => Math.max(0, options.monotonic() - started);
    const parsed = new URL(url);
    const policy = options.policy();
    const refused = literalRefusal(parsed.hostname, policy);
    if (refused) return Promise.resolve({ status: null, retryAfter: null, excerpt: null, error: refused.message, durationMs: 0 });
    const secure = parsed.protocol === 'https:';
    const payload = Buffer.from(body, 'utf8');

    return new Promise<PostResult>((resolve) => {
      let settled = false;
      const finish = (result: Omit<PostResult, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...result, durationMs: elapsed() });
      };
      const req = (secure ? httpsRequest : httpRequest)(parsed, {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        lookup: guardedLookup(policy) as never,
        headers: { ...headers, 'content-length': String(payload.length) },
      });
      const timeoutMs = options.timeoutMs();
      const timer = setTimeout(() => {
        req.destroy();
        finish({ status: null, retryAfter: null, excerpt: null, error: `timeout: no complete answer within ${timeoutMs} ms` });
      }, timeoutMs);
      req.on('error', (error: NodeJS.ErrnoException) => {
        finish({ status: null, retryAfter: null, excerpt: null, error: describeNetworkError(error) });
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        let read = 0;
        const done = () => finish({ status: res.statusCode ?? null, retryAfter: headerValue(res.headers, 'retry-after'), excerpt: Buffer.concat(chunks).toString('utf8'), error: null });
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (kept < EXCERPT_BYTES) {
            const part = chunk.subarray(0, EXCERPT_BYTES - kept);
            chunks.push(part);
            kept += part.length;
          }
          if (read > MAX_READ_BYTES) {
            res.destroy();
            done();
          }
        });
        res.on('end', done);
        // The status line arrived; a body cut short afterwards still counts as that answer.
        res.on('error', done);
        res.on('aborted', done);
      });
      req.end(payload);
    });
  };

  return {
    post,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

function describeNetworkError(error: NodeJS.ErrnoException): string {
  if (error.code === 'ESSRF') return error.message;
  const code = error.code ? `${error.code}: ` : '';
  return `network error: ${code}${error.message}`.slice(0, 500);
}
