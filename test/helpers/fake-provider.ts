import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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
  body: string;
}

export type StepSource = ScriptStep | ((request: RecordedRequest, index: number) => ScriptStep);

export interface FakeProvider {
  /** `http://127.0.0.1:PORT` (append `/v1` or whatever path the config's base_url wants). */
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

export async function startFakeProvider(initial: StepSource = { status: 200, chunks: [] }): Promise<FakeProvider> {
  const queue: ScriptStep[] = [];
  let fallback: StepSource = initial;
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const recorded = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body };
      requests.push(recorded);
      const step = queue.shift() ?? (typeof fallback === 'function' ? fallback(recorded, requests.length - 1) : fallback);
      play(res, step).catch(() => res.socket?.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
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
