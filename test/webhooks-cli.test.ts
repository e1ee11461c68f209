import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from './helpers/app.ts';
import { cli } from './helpers/cli.ts';
import { createTestKeys } from './helpers/keys.ts';
import { startReceiver, verifyCaptured } from './helpers/receiver.ts';

test('cappulse webhooks list | test | deliveries against a running server', async () => {
  const receiver = await startReceiver();
  // The real clock: the CLI queues with the wall time and the server's timer picks it up.
  const t = await startTestApp({ webhooks: { allow_private: true } });
  try {
    const keys = await createTestKeys(t);
    const res = await fetch(`${t.url}/v1/webhooks/endpoints`, { method: 'POST', headers: keys.auth('admin'), body: JSON.stringify({ url: receiver.url('/cli'), description: 'cli' }) });
    const ep = (await res.json()) as { id: string; secret: string };

    const list = await cli('webhooks', 'list', '--db', t.dbPath);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, new RegExp(`${ep.id}  ${receiver.url('/cli')}  api  enabled`));
    assert.equal(list.out.includes(ep.secret), false);

    const sent = await cli('webhooks', 'test', ep.id, '--db', t.dbPath, '--wait', '20s');
    assert.equal(sent.code, 0, sent.out + sent.err);
    assert.match(sent.out, /^queued evt_\w+ as delivery dlv_\w+\ndelivered: attempt 1, HTTP 200/);
    const [request] = receiver.on('/cli');
    assert.ok(request);
    await verifyCaptured(request, ep.secret);

    const deliveries = await cli('webhooks', 'deliveries', ep.id, '--db', t.dbPath, '--status', 'delivered');
    assert.equal(deliveries.code, 0);
    assert.match(deliveries.out, /dlv_\w+  webhook\.test  delivered  attempts 1  last 200/);
    const none = await cli('webhooks', 'deliveries', ep.id, '--db', t.dbPath, '--status', 'failed');
    assert.equal(none.out.trim(), 'no deliveries');

    assert.equal((await cli('webhooks', 'test', 'we_missing', '--db', t.dbPath)).code, 1);
    assert.equal((await cli('webhooks', 'deliveries', ep.id, '--db', t.dbPath, '--status', 'lost')).code, 2);
    assert.equal((await cli('webhooks', 'explode', '--db', t.dbPath)).code, 2);
  } finally {
    await t.stop();
    await receiver.close();
  }
});
