// The standalone executable, as a user gets it: built by `npm run build`, copied alone into an
// empty folder and run with an empty environment. Slow only the first time on a machine (the
// build downloads Node 24 and compiles SQLite into .cache/sea); afterwards the build is skipped
// unless the sources changed, and a changed tree rebuilds in well under a minute.
//
// Checks for features that other parts of the project add (serve --demo, keys, metrics routes,
// the dashboard) run as soon as the feature exists, decided from the executable's own help and
// OpenAPI document, or from the source app answering the same request; until then they are
// reported as skipped with the reason, never passed.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestApp } from './helpers/app.ts';
import { buildExecutable, isolatedCopy, runIsolated, startIsolated, type RunningServer } from './helpers/executable.ts';

let dir = '';
let removeDir = () => {};
let server: RunningServer | undefined;
let commands: string[] = [];

before(async () => {
  const output = await buildExecutable();
  process.stderr.write(`executable ${/up to date/.test(output) ? 'reused: sources unchanged since the last build' : 'built from the current sources'}\n`);
  ({ dir, remove: removeDir } = isolatedCopy());
}, { timeout: 40 * 60_000 });

after(async () => {
  await server?.stop();
  removeDir();
});

async function cli(...args: string[]) {
  const result = await runIsolated(dir, args);
  assert.equal(result.code, 0, `cappulse ${args.join(' ')} exited ${result.code}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

test('the folder holds only the executable', () => {
  assert.deepEqual(readdirSync(dir), ['cappulse']);
});

test('--help lists the commands, and each answers --help', async () => {
  const help = await cli('--help');
  assert.match(help, /Usage: cappulse <command>/);
  commands = [...help.matchAll(/^ {2}(\w[\w-]*) {2,}/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
  for (const expected of ['serve', 'check', 'init', 'version']) assert.ok(commands.includes(expected), `${expected} missing from:\n${help}`);
  for (const command of commands) assert.match(await cli(command, '--help'), /Usage: cappulse/);
});

test('version names the embedded Node and SQLite, loading the addon from the cache folder', async () => {
  const info = JSON.parse(await cli('version', '--json')) as { cappulse: string; node: string; sqlite: string };
  assert.match(info.cappulse, /^\d+\.\d+\.\d+/);
  assert.match(info.node, /^24\./);
  assert.match(info.sqlite, /^3\.\d+\.\d+$/);
  assert.match(await cli('version'), new RegExp(`node ${info.node}, sqlite ${info.sqlite}`));
  const cached = readdirSync(join(dir, '.cache', 'cappulse'));
  assert.deepEqual(cached.length, 1, `one addon file expected: ${cached.join(', ')}`);
  assert.match(cached[0]!, /^better_sqlite3-abi\d+-linux-\w+-[0-9a-f]{16}\.node$/);
});

test('check validates the embedded example; init writes it next to the user', async () => {
  assert.match(await cli('check'), /embedded.*valid/);
  assert.match(await cli('init', '--file', 'cappulse.yaml'), /wrote cappulse\.yaml/);
  assert.match(await cli('check', '--config', 'cappulse.yaml'), /cappulse\.yaml: valid/);
});

test('serve creates its database and answers /healthz', async () => {
  const serveHelp = await cli('serve', '--help');
  const demo = serveHelp.includes('--demo');
  process.stderr.write(`serve --demo: ${demo ? 'live' : 'not in this build, serving the example config'}\n`);
  server = await startIsolated(dir, ['serve', ...(demo ? ['--demo'] : []), '--port', '0']);
  const res = await fetch(`${server.url}/healthz`);
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { db: string }).db, 'ok');
  assert.ok(existsSync(join(dir, 'cappulse.db')), 'cappulse.db in the working folder');
});

test('a key created with `cappulse keys create` reads a metrics route', async (t) => {
  if (!server) return t.skip('server did not start');
  if (!commands.includes('keys')) return t.skip('no keys command in this build');
  const created = await cli('keys', 'create', '--name', 'smoke');
  const key = /cp_live_\w+/.exec(created)?.[0];
  assert.ok(key, `no key in:\n${created}`);
  const auth = { authorization: `Bearer ${key}` };
  const usage = await fetch(`${server.url}/v1/usage`, { headers: auth });
  assert.equal(usage.status, 200, 'the key created by the CLI is accepted by the server');

  const doc = (await (await fetch(`${server.url}/v1/openapi.json`)).json()) as { paths?: Record<string, unknown> };
  const metricsPath = Object.keys(doc.paths ?? {}).find((p) => /^\/v1\/providers\/\{[^}]+\}\/metrics$/.test(p));
  if (!metricsPath) return t.skip('no /v1/providers/{slug}/metrics in this build (OpenAPI document)');
  const providers = (await (await fetch(`${server.url}/v1/providers`, { headers: auth })).json()) as { data: { slug: string }[] };
  const slug = providers.data[0]?.slug;
  if (!slug) return t.skip('no provider to ask about: serve --demo is not in this build');
  // The demo provider is probed every few seconds: wait (generously) for the first probe, which
  // shows the scheduler, the probe client and the store all working inside the executable.
  const url = `${server.url}/v1/providers/${slug}/metrics?window=1h`;
  let metrics: { window?: string; probes?: number; availability?: unknown } = {};
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
    const res = await fetch(url, { headers: auth });
    assert.equal(res.status, 200);
    metrics = ((await res.json()) as { metrics: typeof metrics }).metrics;
    if ((metrics.probes ?? 0) > 0) break;
  }
  assert.equal(metrics.window, '1h');
  assert.ok((metrics.probes ?? 0) > 0, `no probe recorded for ${slug}: ${JSON.stringify(metrics).slice(0, 300)}`);
  assert.ok('availability' in metrics, `no availability in ${JSON.stringify(metrics).slice(0, 300)}`);
});

test('probe sends one probe from the executable (to its own /healthz)', async (t) => {
  if (!server) return t.skip('server did not start');
  if (!commands.includes('probe')) return t.skip('no probe command in this build');
  writeFileSync(join(dir, 'probe.yaml'), `providers:\n  - slug: self\n    kind: http\n    base_url: ${server.url}/healthz\n`);
  const [result] = JSON.parse(await cli('probe', 'self', '--config', 'probe.yaml', '--json')) as { ok: boolean; http_status: number }[];
  assert.equal(result?.ok, true);
  assert.equal(result.http_status, 200);
});

test('the timing and checkpoint threads run inside the executable (timing_thread, checkpoint_thread: always)', async (t) => {
  if (!server) return t.skip('server did not start');
  // Probes its sibling's /healthz every second from the embedded timing thread, and checkpoints
  // from the embedded checkpoint thread, which loads the SQLite addon from the cache folder too
  // (both SEA assets).
  writeFileSync(
    join(dir, 'thread.yaml'),
    `server:\n  port: 0\n  log_level: debug\nstorage:\n  path: thread.db\n  checkpoint_thread: always\ndefaults:\n  schedule: '* * * * * *'\n  timing_thread: always\nproviders:\n  - slug: self\n    kind: http\n    base_url: ${server.url}/healthz\n`,
  );
  const threaded = await startIsolated(dir, ['serve', '--config', 'thread.yaml']);
  try {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && !/probe_ok/.test(threaded.output()); ) await new Promise((r) => setTimeout(r, 200));
    assert.match(threaded.output(), /probe_thread_started/);
    assert.match(threaded.output(), /probe_ok[^\n]*target=self/);
    assert.match(threaded.output(), /checkpoints_moved[^\n]*to=thread/);
  } finally {
    assert.equal(await threaded.stop(), 0);
  }
  assert.doesNotMatch(threaded.output(), /checkpoint_thread_failed/);
  // The checkpoint thread closed its connection first: the server's close removed the WAL.
  assert.equal(existsSync(join(dir, 'thread.db-wal')), false);
});

test('commands that open the database work beside the running server', async (t) => {
  const live = [
    ['keys', 'list'],
    ['webhooks', 'list'],
    ['rollups', 'rebuild'],
  ].filter(([command]) => commands.includes(command!));
  if (live.length === 0) return t.skip('none of keys, webhooks, rollups in this build');
  for (const args of live) await cli(...args!);
});

test('the dashboard serves a page and its embedded assets', async (t) => {
  if (!server) return t.skip('server did not start');
  // Whether this build has a dashboard: ask the source app the same question.
  const source = await startTestApp();
  const expected = await fetch(`${source.url}/`).then(async (r) => ({ status: r.status, type: r.headers.get('content-type') ?? '', html: await r.text() }));
  await source.stop();
  if (expected.status !== 200 || !expected.type.includes('text/html')) return t.skip(`no dashboard in this build (the source app answers / with ${expected.status})`);
  const res = await fetch(`${server.url}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  const page = await res.text();
  const assets = [...page.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  assert.ok(assets.length > 0, 'the page links its stylesheet or scripts');
  for (const asset of assets) {
    const r = await fetch(`${server.url}${asset}`);
    assert.equal(r.status, 200, `${asset} (an SEA asset inside the executable)`);
    assert.ok((await r.arrayBuffer()).byteLength > 0, `${asset} is empty`);
  }
});

test('serve stops cleanly on SIGTERM', async (t) => {
  if (!server) return t.skip('server did not start');
  const code = await server.stop();
  server = undefined;
  assert.equal(code, 0);
});
