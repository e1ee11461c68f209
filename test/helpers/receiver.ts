import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mock } from 'node:test';
import { verify as octokitVerify } from '@octokit/webhooks-methods';
import { Webhook } from 'standardwebhooks';

/**
 * A scripted webhook receiver on 127.0.0.1. Each request takes the next step of its path's
 * script (the last step repeats): a status (with headers and a body), `hang` (never answers: a
 * timeout), or `redirect` (302 to /elsewhere, which must never be requested).
 */
export type Step = number | { status: number; headers?: Record<string, string>; body?: string } | 'hang' | 'redirect';

export interface Captured {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Real arrival order across all paths. */
  index: number;
}

export interface Receiver {
  url(path?: string): string;
  requests: Captured[];
  on(path: string): Captured[];
  script(path: string, steps: Step[]): void;
  /** Most requests in progress at once, overall and per path. */
  peak: { total: number; byPath: Map<string, number> };
  /** Delays every answer on this path by `ms` (to see how many POSTs overlap). */
  hold(path: string, ms: number): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const scripts = new Map<string, Step[]>();
  const holds = new Map<string, number>();
  const requests: Captured[] = [];
  const sockets = new Set<Socket>();
  const active = new Map<string, number>();
  let activeTotal = 0;
  const peak = { total: 0, byPath: new Map<string, number>() };

  const answer = (res: ServerResponse, step: Step) => {
    if (step === 'hang') return;
    if (step === 'redirect') {
      res.writeHead(302, { location: '/elsewhere' }).end('moved');
      return;
    }
    const spec = typeof step === 'number' ? { status: step } : step;
    res.writeHead(spec.status, spec.headers ?? {}).end(spec.body ?? `answer ${spec.status}`);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      requests.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), index: requests.length });
      const script = scripts.get(path) ?? [200];
      const step = script.length > 1 ? script.shift()! : script[0]!;
      activeTotal += 1;
      active.set(path, (active.get(path) ?? 0) + 1);
      peak.total = Math.max(peak.total, activeTotal);
      peak.byPath.set(path, Math.max(peak.byPath.get(path) ?? 0, active.get(path)!));
      // Counted as done just before the answer is written: the client frees its slot when the
      // answer arrives, and a 'close' event that fires later could make a new request overlap
      // an old one here that the client never had in flight at once.
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        activeTotal -= 1;
        active.set(path, active.get(path)! - 1);
      };
      res.on('close', finish);
      const reply = () => {
        if (step !== 'hang') finish();
        answer(res, step);
      };
      const delay = holds.get(path) ?? 0;
      if (delay > 0) setTimeout(reply, delay);
      else reply();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    requests,
    on: (path) => requests.filter((r) => r.path === path),
    script: (path, steps) => scripts.set(path, [...steps]),
    peak,
    hold: (path, ms) => holds.set(path, ms),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A URL on 127.0.0.1 where nothing listens: connection refused. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hook`;
}

/**
 * Checks one captured request with code we did not write: standardwebhooks' Webhook.verify (the
 * webhook-* headers) and Octokit's verify (X-CapPulse-Signature). The Standard Webhooks library
 * compares the timestamp with the real clock, so its clock is set to the attempt's own time
 * (tests drive CapPulse with an injected clock that runs ahead).
 */
export async function verifyCaptured(request: Captured, secret: string, scheme: 'current' | 'previous' = 'current'): Promise<void> {
  const timestamp = Number(request.headers['webhook-timestamp']);
  mock.timers.enable({ apis: ['Date'], now: timestamp * 1000 });
  try {
    new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
  } finally {
    mock.timers.reset();
  }
  const header = scheme === 'current' ? request.headers['x-cappulse-signature'] : request.headers['x-cappulse-signature-previous'];
  if (typeof header !== 'string' || !(await octokitVerify(secret, request.body, header))) {
    throw new Error(`X-CapPulse-Signature${scheme === 'previous' ? '-Previous' : ''} does not verify: ${String(header)}`);
  }
}
