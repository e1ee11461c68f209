import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app.ts';

/**
 * Requests Node's HTTP parser refuses never reach h3; found by the API fuzz, whose random methods
 * got Node's own answer: an empty body without a request id. They answer in the API's error shape.
 */
let t: TestApp;

before(async () => {
  t = await startTestApp();
});
after(() => t.stop());

/** node:http, not fetch: fetch would not send these requests as they are. */
function send(method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(path, t.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function assertErrorShape(res: { headers: Record<string, unknown>; body: string }, message: RegExp): void {
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = JSON.parse(res.body) as { error: string; message: string; request_id: string };
  assert.deepEqual(Object.keys(body), ['error', 'message', 'request_id']);
  assert.equal(body.error, 'invalid_request');
  assert.match(body.message, message);
  assert.match(body.request_id, /^req_[0-9A-Za-z]{16}$/);
  assert.equal(res.headers['x-request-id'], body.request_id);
}

test('a method Node does not know answers 400 invalid_request with a request id', async () => {
  for (const method of ['FOO', 'BREW', '&']) {
    const res = await send(method, '/v1/providers');
    assert.equal(res.status, 400, method);
    assertErrorShape(res, /unknown HTTP method/);
  }
});

test('headers over Node\'s limit answer 431 in the same shape, and the server goes on answering', async () => {
  const res = await send('GET', '/v1/providers', { 'x-padding': 'x'.repeat(20_000) });
  assert.equal(res.status, 431);
  assertErrorShape(res, /larger than \d+ bytes/);
  const after = await send('GET', '/healthz');
  assert.equal(after.status, 200);
});

/** Raw bytes over a socket: node:http always sends Host. Resolves with the whole answer once the server closes. */
function sendRaw(text: string): Promise<string> {
  const url = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.end(text));
    let answer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** The status, lower-cased headers and body of one raw HTTP/1.x answer. */
function parseAnswer(raw: string): { status: number; headers: Record<string, unknown>; body: string } {
  const [head, ...rest] = raw.split('\r\n\r\n');
  const [statusLine, ...lines] = head!.split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine!.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

test('an HTTP/1.1 request without Host answers 400 in the same shape; HTTP/1.0 needs none', async () => {
  for (const path of ['/v1/providers', '/healthz', '/']) {
    const res = parseAnswer(await sendRaw(`GET ${path} HTTP/1.1\r\n\r\n`));
    assert.equal(res.status, 400, path);
    assertErrorShape(res, /missing Host header/);
    assert.equal(res.headers.connection, 'close');
  }
  const old = parseAnswer(await sendRaw('GET /healthz HTTP/1.0\r\n\r\n'));
  assert.equal(old.status, 200, 'HTTP/1.0 has no Host requirement');
  const hosted = parseAnswer(await sendRaw(`GET /healthz HTTP/1.1\r\nHost: ${new URL(t.url).host}\r\nConnection: close\r\n\r\n`));
  assert.equal(hosted.status, 200);
});
