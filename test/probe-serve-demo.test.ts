import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { startServe } from './helpers/serve-process.ts';
import { tempDir } from './helpers/temp.ts';

test('serve --demo starts the demo provider in-process and stores live probes of it within seconds', async () => {
  const dir = tempDir();
  writeFileSync(dir.file('cappulse.yaml'), 'server: {port: 0}\nstorage: {path: ./data.db}\nproviders: []\n');
  const serve = await startServe(['--config', 'cappulse.yaml', '--demo'], { cwd: dir.path });
  try {
    assert.match(serve.output(), /demo_provider_started url=http:\/\/127\.0\.0\.1:\d+\/v1/);
    // Every 5 s plus a spread offset under 5 s: the first results land within about 10 s.
    let stored: Array<{ slug: string; ok: number }> = [];
    for (let i = 0; i < 100 && stored.length === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const db = new BetterSqlite3(dir.file('data.db'), { readonly: true });
      stored = db
        .prepare('SELECT m.slug, r.ok FROM probe_results r JOIN targets t ON t.id = r.target_id JOIN models m ON m.id = t.model_id')
        .all() as typeof stored;
      db.close();
    }
    assert.ok(stored.length > 0, `no probe stored:\n${serve.output()}`);
    assert.ok(stored.every((row) => row.slug.startsWith('demo-')));
  } finally {
    const stopped = await serve.stop('SIGINT');
    assert.equal(stopped.code, 0, serve.output());
    dir.remove();
  }
});
