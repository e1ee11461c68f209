import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { latestResults } from '../src/store/results.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { startFakeProvider, type FakeProvider } from './helpers/fake-provider.ts';
import { createManualTimers, createScenarioClock } from './helpers/manual-timers.ts';
import { anthropicStream, openaiError, openaiStream } from './helpers/provider-fixtures.ts';

const KEY = 'sk-live-SECRET-abcdef0123456789';

let fake: FakeProvider;
let t: TestApp;
const clock = createScenarioClock(Date.UTC(2026, 5, 1, 12));
const timers = createManualTimers(clock);

before(async () => {
  fake = await startFakeProvider();
  t = await startTestApp(
    {
      providers: [
        { slug: 'fake', kind: 'openai', base_url: `${fake.url}/v1`, api_key: '${FAKE_KEY}', models: [{ slug: 'm1' }] },
        { slug: 'claude', kind: 'anthropic', base_url: `${fake.url}/v1`, api_key: '${FAKE_KEY}', models: [{ slug: 'haiku' }] },
      ],
    },
    { clock, timers },
    { FAKE_KEY: KEY },
  );
});
after(async () => {
  await t.stop();
  await fake.close();
});

test('probeNow runs one probe through the real pipeline and returns the stored row', async () => {
  fake.enqueue(openaiStream({ firstTokenDelayMs: 30 }));
  const stored = await t.app.probeNow('fake/m1');
  assert.equal(stored.ok, true);
  assert.equal(stored.startedAt, clock.now());
  assert.ok(stored.ttftMs !== null && stored.ttftMs >= 30);
  const target = t.app.targets().find((x) => x.key === 'fake/m1')!;
  const [row] = await latestResults(t.app.db.kysely, target.id, 1);
  assert.equal(row?.id, stored.id);
  assert.equal(row?.requestId, 'req_fake_openai');

  fake.enqueue(anthropicStream());
  assert.equal((await t.app.probeNow('claude/haiku')).ok, true);
  await assert.rejects(t.app.probeNow('nope/none'), /no target/);
});

test('the api key never reaches stored rows, logs or error messages, even when the provider echoes it', async () => {
  const echoes = [
    openaiError(401, 'invalid_request_error', 'invalid_api_key', `Incorrect API key provided: ${KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`),
    openaiError(400, 'invalid_request_error', null, `Bad header "Authorization: Bearer ${KEY}" in %22${encodeURIComponent(KEY)}%22`, { 'x-request-id': `req_${KEY}` }),
    { status: 200, chunks: [`data: {"error": {"message": "key ${KEY} is suspended", "code": 403}}\n\n`] },
    { status: 500, headers: { 'content-type': 'text/plain' }, chunks: [`upstream rejected ${KEY}`] },
  ];
  for (const step of echoes) {
    fake.enqueue(step);
    const stored = await t.app.probeNow('fake/m1');
    assert.equal(stored.ok, false);
    assert.ok(stored.errorMessage, 'the failure keeps a message');
    assert.doesNotMatch(JSON.stringify(stored), /SECRET/);
  }
  assert.equal(fake.requests.at(-1)?.headers.authorization, `Bearer ${KEY}`, 'the key was really sent');
  const rows = t.app.db.sqlite.prepare('SELECT * FROM probe_results').all();
  assert.ok(rows.length >= 4);
  assert.doesNotMatch(JSON.stringify(rows), /SECRET/);
  const failures = t.logs.filter((line) => line.includes('probe_failed') && line.includes('target=fake/m1'));
  assert.ok(failures.length >= 4, 'each failure is logged with its message');
  assert.ok(failures.some((line) => line.includes('[redacted]')), 'the echoed key was masked, not dropped');
  assert.doesNotMatch(t.logs.join('\n'), /SECRET/);
});

test('manual timers drive scheduled probes; nothing runs on its own', async () => {
  const target = t.app.targets().find((x) => x.key === 'fake/m1')!;
  const before = (await latestResults(t.app.db.kysely, target.id, 100)).length;
  fake.setDefault(openaiStream());
  await timers.advance(60_000);
  await t.app.probesIdle();

  const afterTick = (await latestResults(t.app.db.kysely, target.id, 100)).length;
  assert.ok(afterTick > before, 'a tick probed');
});
