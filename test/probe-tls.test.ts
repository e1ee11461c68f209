import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { systemClock } from '../src/lib/clock.ts';
import { openProbeRequest, requestHeaderLines } from '../src/probe/connection.ts';
import { runProbe } from '../src/probe/run.ts';
import type { ProbeResult } from '../src/probe/types.ts';
import { startFakeProvider, TEST_CA_FILE, type FakeProvider } from './helpers/fake-provider.ts';
import { toLoopback } from './helpers/loopback-lookup.ts';
import { probeTarget } from './helpers/probe-target.ts';
import { openaiStream } from './helpers/provider-fixtures.ts';

// Every hosted provider is reached over TLS. A probe opens its connection itself, without an
// http.Agent (src/probe/connection.ts), so what the agent did for TLS is ours to get right.

let fake: FakeProvider;
before(async () => {
  fake = await startFakeProvider(openaiStream(), { tls: true });
});
after(() => fake.close());

const CHILD = fileURLToPath(new URL('./helpers/tls-probe-child.ts', import.meta.url));
const run = promisify(execFile);

/** A probe in a process that trusts the test certificate, as NODE_EXTRA_CA_CERTS makes Node do. */
async function probeTrusting(baseUrl: string): Promise<ProbeResult> {
  const provider = { kind: 'openai', base_url: baseUrl, api_key: 'sk-test-key-123456' };
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(provider)], { env: { ...process.env, NODE_EXTRA_CA_CERTS: TEST_CA_FILE } });
  return JSON.parse(stdout) as ProbeResult;
}

describe('probes over TLS', () => {
  test('a host name is sent for SNI and the stream is timed like any other', async () => {
    const result = await probeTrusting(`${fake.url}/v1`);
    assert.equal(result.ok, true, result.errorMessage ?? '');
    assert.equal(result.httpStatus, 200);
    assert.equal(result.outputTokens, 1);
    assert.ok(result.ttfbMs !== null && result.ttftMs !== null && result.latencyMs !== null);
    const sent = fake.requests.at(-1)!;
    assert.equal(sent.servername, 'localhost');
    assert.equal(sent.headers.host, new URL(fake.url).host);
    // One connection per probe, closed after the answer.
    assert.equal(sent.headers.connection, 'close');
  });

  test('an IP address is not sent for SNI (RFC 6066 allows host names only)', async () => {
    const result = await probeTrusting(`https://127.0.0.1:${new URL(fake.url).port}/v1`);
    assert.equal(result.ok, true, result.errorMessage ?? '');
    assert.equal(fake.requests.at(-1)!.servername, false);
  });

  test('a certificate this machine does not trust is a TLS failure, and nothing is sent', async () => {
    const before = fake.requests.length;
    const result = await runProbe(probeTarget({ kind: 'openai', base_url: `${fake.url}/v1`, api_key: 'sk-test-key-123456' }), { clock: systemClock, lookup: toLoopback });
    assert.equal(result.ok, false);
    assert.equal(result.errorClass, 'network');
    assert.match(result.errorMessage ?? '', /^TLS failure \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)$/);
    assert.equal(fake.requests.length, before);
  });
});

describe('the port a URL without one means', () => {
  // Nothing listens on 127.0.0.1:443 or :80 on a test machine: the refused connection names
  // the port the request went to. The Host header leaves a default port out, as browsers do.
  const cases: Array<[string, number, string]> = [
    ['https://api.example.com/v1/chat/completions', 443, 'api.example.com'],
    ['http://ollama.example/api', 80, 'ollama.example'],
    ['https://gateway.example:8443/v1', 8443, 'gateway.example:8443'],
  ];
  for (const [url, port, host] of cases) {
    test(url, async () => {
      const { req } = openProbeRequest(url, { method: 'POST', headers: {}, lookup: toLoopback });
      assert.deepEqual(requestHeaderLines(url, 'GET', {}).slice(0, 2), ['Host', host]);
      const error = await new Promise<NodeJS.ErrnoException & { port?: number }>((resolve) => req.once('error', resolve).end());
      assert.equal(error.code, 'ECONNREFUSED');
      assert.equal(error.port, port);
    });
  }
});
