import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Kysely } from 'kysely';
import { openDatabase } from '../src/db/connect.ts';
import type { Database } from '../src/db/schema.ts';
import { listTargets } from '../src/store/catalog.ts';
import { listEvents } from '../src/store/events.ts';
import { listIncidents, listIncidentUpdates } from '../src/store/incidents.ts';
import { latestResults } from '../src/store/results.ts';
import { tempDir } from './helpers/temp.ts';

const CHILD_SOURCE = fileURLToPath(new URL('./helpers/status-crash-child.ts', import.meta.url));
const NODE_MODULES = fileURLToPath(new URL('../node_modules', import.meta.url));

/**
 * The child is bundled once with esbuild (as the standalone build does) so each of the many
 * restarts costs a plain node start-up, not a TypeScript loader's.
 */
async function bundleChild(outfile: string): Promise<void> {
  await build({ entryPoints: [CHILD_SOURCE], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, external: ['better-sqlite3'], logLevel: 'warning' });
}

/** Runs the child until it dies; with killAt = 0 the parent SIGKILLs it after `killAfterMs`. */
function runChild(childJs: string, dbPath: string, killAt: number, killAfterMs: number): Promise<NodeJS.Signals | null> {
  // NODE_PATH lets the bundle's require('better-sqlite3') find the project's addon.
  const child = spawn(process.execPath, [childJs, dbPath, String(killAt)], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_PATH: NODE_MODULES } });
  return new Promise((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (killAt === 0 && chunk.toString().includes('ready')) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.once('exit', (_code, signal) => resolve(signal));
  });
}

/** Every way a state change could have been committed without its events, or the reverse. */
async function problems(db: Kysely<Database>): Promise<{ problems: string[]; opened: number; resolved: number }> {
  const out: string[] = [];
  const events = await listEvents(db, { limit: 1_000_000 });
  const byUpdate = new Map<number, number>();
  for (const e of events) {
    if (e.type === 'incident.created' || e.type === 'incident.updated') {
      const id = (e.data as { update: { id: number } }).update.id;
      byUpdate.set(id, (byUpdate.get(id) ?? 0) + 1);
    }
  }
  let opened = 0;
  let resolved = 0;
  for (const incident of await listIncidents(db, { limit: 100_000 })) {
    const timeline = await listIncidentUpdates(db, incident.id, { limit: 100_000 });
    if (timeline.length === 0) out.push(`${incident.id} has no timeline`);
    for (const u of timeline) {
      if (byUpdate.get(u.id) !== 1) out.push(`update ${u.id} (${u.kind}) has ${byUpdate.get(u.id) ?? 0} incident events`);
      byUpdate.delete(u.id);
      if (u.kind === 'opened' || u.kind === 'reopened') opened += 1;
      if (u.kind === 'resolved') resolved += 1;
    }
    const latest = timeline.at(-1);
    if (latest && (latest.status !== incident.status || latest.severity !== incident.severity)) out.push(`${incident.id} differs from its latest entry`);
  }
  for (const id of byUpdate.keys()) out.push(`incident event for update ${id}, which does not exist`);
  const degraded = events.filter((e) => e.type === 'provider.degraded').length;
  const recovered = events.filter((e) => e.type === 'provider.recovered').length;
  if (degraded !== opened) out.push(`${degraded} provider.degraded events for ${opened} openings`);
  if (recovered !== resolved) out.push(`${recovered} provider.recovered events for ${resolved} resolutions`);
  // Each target's status was evaluated in the transaction of its newest stored result.
  for (const target of await listTargets(db)) {
    const newest = (await latestResults(db, target.id, 1))[0];
    const row = await db.selectFrom('target_status').select('evaluated_at').where('target_id', '=', target.id).executeTakeFirst();
    if (newest && Number(row?.evaluated_at) !== newest.startedAt) out.push(`${target.model_slug}: newest result not evaluated in its transaction`);
  }
  return { problems: out, opened, resolved };
}

test('a state change and its outbox events commit together: SIGKILL at any moment leaves neither without the other', async (t) => {
  const dir = tempDir();
  const dbPath = dir.file('crash.db');
  try {
    const childJs = dir.file('child.cjs');
    await bundleChild(childJs);
    // Half the rounds die exactly between an incident change and one of its events (the Nth event
    // this run writes: earlier ones commit, so the script makes progress); the others are killed
    // from outside at a random moment.
    for (const killAt of [3, 0, 1, 0, 4, 0, 2, 0, 5, 0]) {
      const signal = await runChild(childJs, dbPath, killAt, 100 + Math.floor(Math.random() * 600));
      assert.equal(signal, 'SIGKILL', 'the child must die by SIGKILL, not finish');
    }

    const db = openDatabase(dbPath);
    try {
      assert.equal(db.sqlite.pragma('integrity_check', { simple: true }), 'ok');
      const found = await problems(db.kysely);
      t.diagnostic(`openings ${found.opened}, resolutions ${found.resolved}`);
      assert.deepEqual(found.problems, []);
      assert.ok(found.opened >= 2, `the rounds got through several incidents (opened ${found.opened})`);

      // The check is not a rubber stamp: an event missing from a committed change is reported.
      db.sqlite.prepare("delete from events where rowid = (select max(rowid) from events where type = 'provider.degraded')").run();
      db.sqlite.prepare("delete from events where rowid = (select min(rowid) from events where type = 'incident.updated')").run();
      assert.equal((await problems(db.kysely)).problems.length, 2);
    } finally {
      await db.close();
    }
  } finally {
    dir.remove();
  }
});
