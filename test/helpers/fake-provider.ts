import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';

/**
 * A scripted provider on 127.0.0.1 for tests: each request takes the next queued step (or the
 * default), so a test says exactly what the provider does — status, headers, SSE chunks with
 * delays, a stream cut mid-way, a hang. Builders for each family are in provider-fixtures.ts.
 */
export interface Piece {
  data: string;
  /** Wait this long (ms) before sending the piece. */
  delayMs?: number;
}

export interface ScriptStep {
  status?: number;
  headers?: Record<string, string>;
  /** Wait this long (ms) before the status line. */
  delayMs?: number;
  chunks?: Array<string | Piece>;
  /** After the chunks, destroy the connection instead of ending the response. */
  cut?: boolean;
  /** After the chunks, wait this long (ms) before ending the response (the end arrives on its own). */
  endDelayMs?: number;
  /** After the chunks, never end (the probe's deadlines must fire). */
  hang?: boolean;
  /** Destroy the connection without answering at all. */
  drop?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** As sent: [name, value, name, value, …], repeats and case kept. */
  rawHeaders: string[];
  body: string;
  /** Over TLS: the server name the client sent for SNI (false when it sent none). */
  servername?: string | false;
}

/**
 * The test certificate (test/fixtures/tls-localhost.*, made by openssl for this suite and for
 * nothing else): self-signed for localhost and 127.0.0.1. A client trusts it only when told to
 * (NODE_EXTRA_CA_CERTS=TEST_CA_FILE, read by Node at start-up).
 */
export const TEST_CA_FILE = fileURLToPath(new URL('../fixtures/tls-localhost.crt', import.meta.url));
const TEST_KEY_FILE = fileURLToPath(new URL('../fixtures/tls-localhost.key', import.meta.url));

export type StepSource = ScriptStep | ((request: RecordedRequest, index: number) => ScriptStep);

export interface FakeProvider {
  /** `http://127.0.0.1:PORT`, or `https://localhost:PORT` (append `/v1` or whatever path the config's base_url wants). */
  url: string;
  requests: RecordedRequest[];
  enqueue(...steps: ScriptStep[]): void;
  setDefault(step: StepSource): void;
  close(): Promise<void>;
}

// Unref: a scripted delay must not keep a finished test process alive.
const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

async function play(res: ServerResponse, step: ScriptStep): Promise<void> {
  if (step.delayMs) await wait(step.delayMs);
  if (step.drop) {
    res.socket?.destroy();
    return;
  }
  res.writeHead(step.status ?? 200, { 'content-type': 'text/event-stream', ...step.headers });
  res.flushHeaders();
  for (const chunk of step.chunks ?? []) {
    const piece = typeof chunk === 'string' ? { data: chunk } : chunk;
    if (piece.delayMs) await wait(piece.delayMs);
    if (res.destroyed) return;
    res.write(piece.data);
  }
  if (step.endDelayMs) await wait(step.endDelayMs);
  if (step.cut) res.socket?.destroy();
  else if (!step.hang && !res.destroyed) res.end();
}

/** `tls`: serve HTTPS with the test certificate (TEST_CA_FILE), at `https://localhost:PORT`. */
export async function startFakeProvider(initial: StepSource = { status: 200, chunks: [] }, options: { tls?: boolean } = {}): Promise<FakeProvider> {
  const queue: ScriptStep[] = [];
  let fallback: StepSource = initial;
  const requests: RecordedRequest[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, rawHeaders: req.rawHeaders, body };
      if (options.tls) recorded.servername = (req.socket as TLSSocket).servername ?? false;
      requests.push(recorded);
      const step = queue.shift() ?? (typeof fallback === 'function' ? fallback(recorded, requests.length - 1) : fallback);
      play(res, step).catch(() => res.socket?.destroy());
    });
  };
  const server = options.tls ? createTlsServer({ cert: readFileSync(TEST_CA_FILE), key: readFileSync(TEST_KEY_FILE) }, handle) : createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: options.tls ? `https://localhost:${port}` : `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...steps) => queue.push(...steps),
    setDefault(step) {
      fallback = step;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
