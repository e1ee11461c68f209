import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OPENAI_DONE, openaiChunk, openaiUsage } from './openai-stream.ts';
import { createRateWindow } from './rate-window.ts';
import { demoModel, DEMO_MODELS, logNormal, phaseAt, phaseRemainingMs } from './trouble-script.ts';

/**
 * A local OpenAI-compatible provider with realistic behaviour, so CapPulse shows live data with
 * no API key: log-normal TTFT and per-token time, rate-limit headers that count down, and the
 * repeating trouble script of trouble-script.ts. Loopback only; it accepts any key.
 */
export interface DemoProviderOptions {
  host?: string;
  port?: number;
  /** Wall clock (ms) for the script and the rate window; injected by tests. */
  now?: () => number;
  random?: () => number;
}

export interface DemoProvider {
  url: string;
  /** The base_url a config uses: `${url}/v1`. */
  baseUrl: string;
  close(): Promise<void>;
}

const WORDS = ['ok', ' sure', ',', ' here', ' is', ' a', ' short', ' answer', ' from', ' the', ' demo', ' model', '.'];
const MAX_BODY = 65_536;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY) reject(new Error('body too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export async function startDemoProvider(options: DemoProviderOptions = {}): Promise<DemoProvider> {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const startedAt = now();
  const rate = createRateWindow();
  const timers = new Set<NodeJS.Timeout>();
  let counter = 0;

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const complete = async (req: IncomingMessage, res: ServerResponse) => {
    let request: { model?: unknown; stream?: unknown; max_completion_tokens?: unknown; max_tokens?: unknown; stream_options?: { include_usage?: unknown } };
    try {
      request = JSON.parse(await readBody(req)) as typeof request;
    } catch {
      return sendJson(res, 400, { error: { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', param: null, code: null } });
    }
    counter += 1;
    const id = `chatcmpl-demo${counter}`;
    const model = demoModel(typeof request.model === 'string' ? request.model : 'demo-fast');
    const cap = Number(request.max_completion_tokens ?? request.max_tokens ?? 16);
    const tokens = Math.max(1, Math.min(Number.isFinite(cap) ? cap : 16, 64));
    const elapsed = now() - startedAt;
    const phase = phaseAt(elapsed);
    const headers = { 'x-request-id': `req_demo_${counter}`, ...rate.take(now(), 12 + tokens, phase === 'rate_limited') };

    if (phase === 'rate_limited') {
      const retry = String(Math.max(1, Math.ceil(phaseRemainingMs(elapsed) / 1000)));
      return later(logNormal(15, 0.3, random), () =>
        sendJson(res, 429, { error: { message: 'Rate limit reached for requests (demo script).', type: 'requests', param: null, code: 'rate_limit_exceeded' } }, { ...headers, 'retry-after': retry }),
      );
    }
    if (phase === 'server_errors' && random() < 0.75) {
      const overloaded = random() < 0.5;
      return later(logNormal(40, 0.4, random), () =>
        sendJson(
          res,
          overloaded ? 503 : 500,
          { error: { message: overloaded ? 'The engine is currently overloaded, please try again later.' : 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } },
          headers,
        ),
      );
    }

    const slow = phase === 'latency_spike' ? 6 : 1;
    const ttft = logNormal(model.ttftMedianMs, 0.35, random) * slow;
    const gaps = Array.from({ length: tokens - 1 }, () => logNormal(model.tokenMs, 0.3, random) * slow);
    const words = Array.from({ length: tokens }, (_, i) => WORDS[i % WORDS.length]!);

    if (request.stream !== true) {
      return later(ttft + gaps.reduce((a, b) => a + b, 0), () =>
        sendJson(res, 200, { id, object: 'chat.completion', created: Math.floor(now() / 1000), model: model.id, choices: [{ index: 0, message: { role: 'assistant', content: words.join('') }, finish_reason: 'length' }], usage: { prompt_tokens: 12, completion_tokens: tokens, total_tokens: 12 + tokens } }, headers),
      );
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
    res.write(': keep-alive\n\n');
    res.write(openaiChunk(id, model.id, { role: 'assistant', content: '' }));
    const send = (index: number) => {
      if (res.destroyed) return;
      res.write(openaiChunk(id, model.id, { content: words[index] }));
      if (index + 1 < tokens) return later(gaps[index]!, () => send(index + 1));
      res.write(openaiChunk(id, model.id, {}, 'length'));
      if (request.stream_options?.include_usage === true) res.write(openaiUsage(id, model.id, 12, tokens));
      res.end(OPENAI_DONE);
    };
    later(ttft, () => send(0));
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') {
      return sendJson(res, 200, { object: 'list', data: DEMO_MODELS.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: 'cappulse-demo' })) });
    }
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      complete(req, res).catch(() => res.destroy());
      return;
    }
    sendJson(res, 404, { error: { message: `Unknown path ${path}: the demo serves POST /v1/chat/completions and GET /v1/models.`, type: 'invalid_request_error', param: null, code: 'unknown_url' } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
