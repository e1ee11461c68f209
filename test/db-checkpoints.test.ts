import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import test from 'node:test';
import { openDatabase, type Db } from '../src/db/connect.ts';
import { createCheckpoints, type CheckpointOptions } from '../src/db/checkpoints.ts';
import { createMemoryLogger } from '../src/lib/logger.ts';
import { startTestApp } from './helpers/app.ts';
import { tempDir } from './helpers/temp.ts';

/** A real SQLite file in WAL mode, with a table to write to. */
function withDatabase(t: test.TestContext): Db {
  const dir = tempDir();
  const db = openDatabase(dir.file('c.db'));
  db.sqlite.exec('create table t (id integer primary key, body text not null)');
  t.after(async () => {
    await db.close();
    dir.remove();
  });
  return db;
}

/** One commit per row, like one result per transaction. */
function writeRows(db: Db, rows: number): void {
  const insert = db.sqlite.prepare('insert into t (body) values (?)');
  for (let i = 0; i < rows; i += 1) insert.run(`row ${i} ${'x'.repeat(200)}`);
}

const autocheckpoint = (db: Db) => db.sqlite.pragma('wal_autocheckpoint', { simple: true }) as number;

/** Windows ended by hand: `tick()` ends one, then waits for what it started. */
function manualWindows() {
  let end: () => void = () => undefined;
  const windows: CheckpointOptions['windows'] = (tick) => {
    end = tick;
    return () => (end = () => undefined);
  };
  return { windows, end: () => end() };
}

test('always: the thread checkpoints what the main connection wrote, which no longer checkpoints itself', async (t) => {
  const db = withDatabase(t);
  const logger = createMemoryLogger();
  // The thread's own timer never fires in this test: only the checkpoint asked for runs.
  const checkpoints = createCheckpoints(db, { mode: () => 'always', logger, intervalMs: 3_600_000 });
  t.after(() => checkpoints.close());
  assert.equal(autocheckpoint(db), 1000);
  await checkpoints.review();
  assert.equal(checkpoints.onThread(), true);
  assert.equal(autocheckpoint(db), 0);

  // More than 1 000 pages: the main connection would have checkpointed (and restarted the WAL) on its own.
  writeRows(db, 1500);
  const report = await checkpoints.checkpointNow();
  assert.ok(report, 'a checkpoint on the thread');
  assert.ok(report.frames >= 1500, `every commit is still in the WAL: ${report.frames} frames`);
  assert.equal(report.copied, report.frames);
  assert.equal(report.busy, false);

  await checkpoints.close();
  assert.equal(checkpoints.onThread(), false);
  assert.equal(autocheckpoint(db), 1000, 'the main connection checkpoints again');
  assert.equal(await checkpoints.checkpointNow(), undefined);
  assert.deepEqual(
    logger.lines.filter((l) => l.includes('checkpoints_moved')).map((l) => /to=(\w+)/.exec(l)?.[1]),
    ['thread', 'main'],
  );
});

test('the thread checkpoints on its own, every interval', async (t) => {
  const db = withDatabase(t);
  const checkpoints = createCheckpoints(db, { mode: () => 'always', logger: createMemoryLogger(), intervalMs: 20 });
  t.after(() => checkpoints.close());
  await checkpoints.review();
  const fileSize = () => statSync(db.path).size;
  const before = fileSize();
  writeRows(db, 500);
  // Until a checkpoint copies them, the rows are only in the WAL: the database file does not grow.
  for (const deadline = Date.now() + 30_000; fileSize() === before && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
  assert.ok(fileSize() > before + 100_000, `the file grew from ${before} to ${fileSize()} bytes`);
});

test('auto: the thread runs while results come fast enough, and stops after the quiet windows', async (t) => {
  const db = withDatabase(t);
  const clock = manualWindows();
  // 5 a second over 1 s windows: 5 writes in a window start it; two windows below stop it.
  const checkpoints = createCheckpoints(db, { mode: () => 'auto', logger: createMemoryLogger(), windowMs: 1000, startPerSecond: 5, quietWindows: 2, windows: clock.windows });
  t.after(() => checkpoints.close());
  const window = async (writes: number) => {
    for (let i = 0; i < writes; i += 1) checkpoints.wrote();
    clock.end();
    await checkpoints.review();
  };

  await window(4);
  assert.equal(checkpoints.onThread(), false, 'below the rate: the main connection checkpoints');
  assert.equal(autocheckpoint(db), 1000);
  await window(5);
  assert.equal(checkpoints.onThread(), true);
  assert.equal(autocheckpoint(db), 0);
  await window(0);
  assert.equal(checkpoints.onThread(), true, 'one quiet window is not enough');
  await window(9);
  await window(1);
  assert.equal(checkpoints.onThread(), true, 'a busy window starts the count again');
  await window(0);
  assert.equal(checkpoints.onThread(), false);
  assert.equal(autocheckpoint(db), 1000);
});

test('never keeps checkpoints on the main connection at any rate; a reload to never stops the thread', async (t) => {
  const db = withDatabase(t);
  const clock = manualWindows();
  let mode: 'always' | 'never' = 'never';
  const checkpoints = createCheckpoints(db, { mode: () => mode, logger: createMemoryLogger(), windowMs: 1000, windows: clock.windows });
  t.after(() => checkpoints.close());
  for (let i = 0; i < 1000; i += 1) checkpoints.wrote();
  clock.end();
  await checkpoints.review();
  assert.equal(checkpoints.onThread(), false);
  mode = 'always';
  await checkpoints.review();
  assert.equal(checkpoints.onThread(), true);
  mode = 'never';
  await checkpoints.review();
  assert.equal(checkpoints.onThread(), false);
  assert.equal(autocheckpoint(db), 1000);
});

test('a thread that cannot open the database leaves checkpoints on the main connection, logged once', async (t) => {
  const db = withDatabase(t);
  const dir = tempDir();
  t.after(() => dir.remove());
  const notAnAddon = dir.file('not-an-addon.node');
  writeFileSync(notAnAddon, 'not a shared library');
  const logger = createMemoryLogger();
  const checkpoints = createCheckpoints(db, { mode: () => 'always', logger, addonFile: notAnAddon });
  t.after(() => checkpoints.close());
  await checkpoints.review();
  assert.equal(checkpoints.onThread(), false);
  assert.equal(autocheckpoint(db), 1000);
  await checkpoints.review();
  const failures = logger.lines.filter((l) => l.includes('checkpoint_thread_failed'));
  assert.equal(failures.length, 1, 'not retried on every review');
  assert.match(failures[0]!, / ERROR /);
  // Writes still work, and the main connection checkpoints them.
  writeRows(db, 10);
});

test('the app runs the thread with checkpoint_thread: always, and its stop leaves no WAL behind', async () => {
  const app = await startTestApp({ storage: { checkpoint_thread: 'always' } });
  let stopped = false;
  try {
    assert.equal(autocheckpoint(app.app.db), 0);
    assert.ok(app.logs.some((l) => /checkpoints_moved.*to=thread/.test(l)));
    await app.app.reload({ ...app.config, storage: { ...app.config.storage, checkpoint_thread: 'never' } });
    assert.equal(autocheckpoint(app.app.db), 1000);
    await app.app.reload(app.config);
    assert.equal(autocheckpoint(app.app.db), 0);
    const wal = `${app.dbPath}-wal`;
    await app.app.stop();
    stopped = true;
    // The main connection closed last, after the thread's: SQLite checkpointed and removed the WAL.
    assert.equal(existsSync(wal), false);
  } finally {
    if (!stopped) await app.app.stop();
  }
});
