import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { systemClock } from '../src/lib/clock.ts';
import { requestHeaderLines } from '../src/probe/connection.ts';
import { runProbe } from '../src/probe/run.ts';
import { startFakeProvider, type FakeProvider } from './helpers/fake-provider.ts';
import { probeTarget } from './helpers/probe-target.ts';
import { openaiStream } from './helpers/provider-fixtures.ts';

// A probe hands node:http its header lines as a raw list (src/probe/connection.ts), so what
// node:http did with a header object — Host, one line per name, credentials from the URL — is
// ours to get right.

/** The raw list as [name, value] pairs, names lower-cased, for comparing. */
const pairs = (lines: readonly string[]) => Array.from({ length: lines.length / 2 }, (_, i) => [lines[2 * i]!.toLowerCase(), lines[2 * i + 1]!]);
const valuesOf = (lines: readonly string[], name: string) => pairs(lines).filter(([n]) => n === name).map(([, v]) => v);

describe('the Host line', () => {
  const cases: Array<[string, string]> = [
    ['https://api.example.com/v1/chat/completions', 'api.example.com'],
    ['https://api.example.com:443/v1', 'api.example.com'],
    ['http://ollama.example/api', 'ollama.example'],
    ['http://ollama.example:80/api', 'ollama.example'],
    ['https://gateway.example:8443/v1', 'gateway.example:8443'],
    ['http://[::1]:11434/v1', '[::1]:11434'],
    ['http://127.0.0.1:8000/v1', '127.0.0.1:8000'],
  ];
  for (const [url, host] of cases) {
    test(url, () => assert.deepEqual(valuesOf(requestHeaderLines(url, 'GET', {}), 'host'), [host]));
  }
  test('a Host header from the config replaces it (a gateway reached by address, routed by name)', () => {
    assert.deepEqual(valuesOf(requestHeaderLines('http://10.0.0.5:8080/v1', 'GET', { Host: 'llm.internal' }), 'host'), ['llm.internal']);
  });
});

describe('header names are one line each, whatever their case', () => {
  test('a later name replaces an earlier one of another case', () => {
    const lines = requestHeaderLines('https://api.example.com/v1', 'GET', { 'content-type': 'application/json', 'user-agent': 'cappulse', 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'team-monitor' });
    assert.deepEqual(valuesOf(lines, 'content-type'), ['application/json; charset=utf-8']);
    assert.deepEqual(valuesOf(lines, 'user-agent'), ['team-monitor']);
    assert.equal(lines.length, 8);
  });
  test('the connection is the probe\'s alone: Connection: close whatever the config says', () => {
    assert.deepEqual(valuesOf(requestHeaderLines('http://h/', 'GET', { connection: 'keep-alive' }), 'connection'), ['close']);
  });
  test('numbers are sent as text', () => {
    assert.deepEqual(valuesOf(requestHeaderLines('http://h/', 'GET', { 'content-length': 42 }), 'content-length'), ['42']);
  });
});

describe('credentials in the URL', () => {
  test('become Basic authorization, decoded as node:http decodes them', () => {
    const lines = requestHeaderLines('https://team:p%40ss@gateway.example/v1', 'GET', {});
    assert.deepEqual(valuesOf(lines, 'authorization'), [`Basic ${Buffer.from('team:p@ss').toString('base64')}`]);
    assert.deepEqual(valuesOf(lines, 'host'), ['gateway.example']);
  });
  test('an Authorization header given wins, in any case', () => {
    const lines = requestHeaderLines('https://team:secret@gateway.example/v1', 'GET', { Authorization: 'Bearer sk-1' });
    assert.deepEqual(valuesOf(lines, 'authorization'), ['Bearer sk-1']);
  });
  test('none without them', () => {
    assert.deepEqual(valuesOf(requestHeaderLines('https://gateway.example/v1', 'GET', {}), 'authorization'), []);
  });
});

describe('on the wire', () => {
  let fake: FakeProvider;
  before(async () => {
    fake = await startFakeProvider(openaiStream());
  });
  after(() => fake.close());

  test('a probe sends each header once, Host, its length and Connection: close', async () => {
    const target = probeTarget({ kind: 'openai', base_url: `${fake.url}/v1`, api_key: 'sk-test-key-123456', headers: { 'Content-Type': 'application/json; charset=utf-8', 'X-Team': 'infra' } });
    const result = await runProbe(target, { clock: systemClock });
    assert.equal(result.ok, true, result.errorMessage ?? '');
    const sent = fake.requests.at(-1)!;
    const names = pairs(sent.rawHeaders).map(([name]) => name);
    assert.deepEqual(names.filter((name, i) => names.indexOf(name) !== i), [], `repeated: ${names.join(', ')}`);
    assert.equal(sent.headers.host, new URL(fake.url).host);
    assert.equal(sent.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(sent.headers['x-team'], 'infra');
    assert.equal(sent.headers.authorization, 'Bearer sk-test-key-123456');
    assert.equal(sent.headers['content-length'], String(Buffer.byteLength(sent.body)));
    assert.equal(sent.headers.connection, 'close');
    assert.match(sent.headers['user-agent'] ?? '', /^cappulse\//i);
  });

  // node:http writes a listed head before end() says how long the body is: without a length it
  // would send an empty POST or PUT chunked, where it used to send Content-Length: 0.
  for (const method of ['POST', 'PUT'] as const) {
    test(`an http check's ${method} without a body says Content-Length: 0, not chunked`, async () => {
      const result = await runProbe(probeTarget({ kind: 'http', base_url: `${fake.url}/hook`, http: { method } }), { clock: systemClock });
      assert.equal(result.ok, true, result.errorMessage ?? '');
      const sent = fake.requests.at(-1)!;
      assert.equal(sent.method, method);
      assert.equal(sent.headers['content-length'], '0');
      assert.equal(sent.headers['transfer-encoding'], undefined);
    });
  }
  for (const method of ['GET', 'HEAD'] as const) {
    test(`an http check's ${method} has neither length nor chunks`, async () => {
      await runProbe(probeTarget({ kind: 'http', base_url: `${fake.url}/health`, http: { method } }), { clock: systemClock });
      const sent = fake.requests.at(-1)!;
      assert.equal(sent.method, method);
      assert.equal(sent.headers['content-length'], undefined);
      assert.equal(sent.headers['transfer-encoding'], undefined);
    });
  }

  test('a key pasted with its line break is a client error naming the header, not the key, and nothing is sent', async () => {
    const before = fake.requests.length;
    const result = await runProbe(probeTarget({ kind: 'openai', base_url: `${fake.url}/v1`, api_key: 'sk-test-key-123456\n' }), { clock: systemClock });
    assert.equal(result.ok, false);
    assert.equal(result.errorClass, 'client_error');
    assert.equal(result.errorMessage, 'request not sent: Invalid character in header content ["authorization"]');
    assert.equal(fake.requests.length, before);
  });
});
