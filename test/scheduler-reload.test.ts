import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { validateConfig } from '../src/config/load.ts';
import type { ConfigInput } from '../src/config/schema.ts';
import { startTestApp } from './helpers/app.ts';
import { startFakeProvider, type FakeProvider } from './helpers/fake-provider.ts';
import { createManualTimers, createScenarioClock } from './helpers/manual-timers.ts';
import { openaiStream } from './helpers/provider-fixtures.ts';
import { startServe } from './helpers/serve-process.ts';
import { tempDir } from './helpers/temp.ts';

let fake: FakeProvider;
before(async () => {
  fake = await startFakeProvider(openaiStream());
});
after(() => fake.close());

const provider = (models: Array<{ slug: string; schedule?: string }>) => ({ slug: 'fake', kind: 'openai' as const, base_url: `${fake.url}/v1`, models });

function probesPerTarget(db: { prepare(sql: string): { all(): unknown[] } }): Record<string, number> {
  const rows = db
    .prepare("SELECT m.slug AS model, count(r.id) AS n FROM targets t JOIN models m ON m.id = t.model_id LEFT JOIN probe_results r ON r.target_id = t.id GROUP BY t.id")
    .all() as Array<{ model: string; n: number }>;
  return Object.fromEntries(rows.map((row) => [row.model, row.n]));
}

test('a reload adds, removes and reschedules targets without a restart or a lost probe', async () => {
  const clock = createScenarioClock(Date.UTC(2026, 2, 1, 0, 0, 0));
  const timers = createManualTimers(clock);
  const base: ConfigInput = { defaults: { schedule: '*/30 * * * * *' }, providers: [provider([{ slug: 'kept' }, { slug: 'removed' }, { slug: 'moved' }])] };
  const t = await startTestApp(base, { clock, timers });
  try {
    await timers.advance(60_000);
    await t.app.probesIdle();
    assert.deepEqual(probesPerTarget(t.app.db.sqlite), { kept: 1, removed: 1, moved: 1 });

    // A probe of the target about to be removed is in flight during the reload: it must still be stored.
    fake.enqueue(openaiStream({ firstTokenDelayMs: 200 }));
    const inFlight = t.app.probeNow('fake/removed');
    await new Promise((resolve) => setTimeout(resolve, 50));

    const next = validateConfig({ ...base, server: t.config.server, storage: t.config.storage, providers: [provider([{ slug: 'kept' }, { slug: 'moved', schedule: '*/10 * * * * *' }, { slug: 'added' }])] });
    await t.app.reload(next);
    assert.equal((await inFlight).ok, true, 'the probe in flight finished and was stored');
    assert.ok(t.logs.some((line) => line.includes('schedules_synced') && line.includes('added=1') && line.includes('removed=1') && line.includes('rescheduled=1')));

    const before = probesPerTarget(t.app.db.sqlite);
    await timers.advance(60_000);
    await t.app.probesIdle();
    const afterReload = probesPerTarget(t.app.db.sqlite);
    const delta = (slug: string) => (afterReload[slug] ?? 0) - (before[slug] ?? 0);
    assert.equal(delta('removed'), 0, 'a removed target is no longer probed');
    // Offsets are spread over each period, so a tick near the end of the minute runs after it.
    assert.ok(delta('kept') >= 1 && delta('kept') <= 2, `kept: every 30 s, as before (${delta('kept')})`);
    assert.ok(delta('added') >= 1, 'the new target is probed on its schedule');
    assert.ok(delta('moved') >= 4, `moved: every 10 s now (${delta('moved')})`);
    const active = t.app.db.sqlite.prepare("SELECT m.slug AS model, t.active FROM targets t JOIN models m ON m.id = t.model_id WHERE m.slug = 'removed'").get() as { active: number };
    assert.equal(active.active, 0, 'the removed target keeps its history, inactive');
  } finally {
    await t.stop();
  }
});

test('SIGHUP: a valid config re-syncs schedules; a broken one is rejected with every error and changes nothing', async () => {
  const dir = tempDir();
  const file = dir.file('cappulse.yaml');
  const yaml = (models: string) => `server: {port: 0}\nstorage: {path: ./data.db}\ndefaults: {schedule: "0 0 * * * *"}\nproviders:\n  - slug: fake\n    kind: openai\n    base_url: ${fake.url}/v1\n    models: [${models}]\n`;
  writeFileSync(file, yaml('{slug: kept}, {slug: removed}, {slug: moved}'));
  const serve = await startServe(['--config', file], { cwd: dir.path });
  const waitFor = async (pattern: RegExp) => {
    for (let i = 0; i < 200 && !pattern.test(serve.output()); i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.match(serve.output(), pattern);
  };
  try {
    await waitFor(/schedules_synced targets=3 added=3/);
    writeFileSync(file, yaml('{slug: kept}, {slug: moved, schedule: "0 30 * * * *"}, {slug: added}'));
    serve.child.kill('SIGHUP');
    await waitFor(/schedules_synced targets=3 added=1 removed=1 rescheduled=1/);

    writeFileSync(file, yaml('{slug: "Not A Slug"}, {slug: x, schedule: "every tuesday"}'));
    serve.child.kill('SIGHUP');
    await waitFor(/reload_rejected[^\n]*problems=2[\s\S]*reload_problem[\s\S]*reload_problem/);
    const problems = serve.output().split('\n').filter((line) => line.includes('reload_problem'));
    assert.ok(problems.length >= 2, `every error is logged:\n${serve.output()}`);
    assert.equal(serve.output().match(/schedules_synced/g)?.length, 2, 'the running schedules were kept');
  } finally {
    const stopped = await serve.stop('SIGTERM');
    assert.equal(stopped.code, 0, serve.output());
    dir.remove();
  }
});
