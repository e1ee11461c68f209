import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { addonCacheDirs, addonFileName, embeddedAddon, loadEmbeddedAddon, materializeAddon } from '../src/lib/addon-cache.ts';
import { tempDir } from './helpers/temp.ts';

// The addon node_modules built for the Node running the tests: the real thing to load.
const addonPath = createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
const addonBytes = new Uint8Array(readFileSync(addonPath));
const addon = embeddedAddon('better_sqlite3', addonBytes);
const dir = tempDir();
after(() => dir.remove());

test('the cache file is named by ABI, platform and content hash, and written once', () => {
  const cache = dir.file('once');
  const first = materializeAddon(cache, addon);
  assert.match(first, new RegExp(`better_sqlite3-abi${process.versions.modules}-${process.platform}-${process.arch}-[0-9a-f]{16}\\.node$`));
  const written = statSync(first);
  const second = materializeAddon(cache, addon);
  assert.equal(second, first);
  assert.equal(statSync(second).mtimeMs, written.mtimeMs, 'an identical file is not rewritten');
  assert.deepEqual(readdirSync(cache), [first.slice(cache.length + 1)], 'no temp file left behind');

  const other = materializeAddon(cache, embeddedAddon('better_sqlite3', new Uint8Array([1, 2, 3])));
  assert.notEqual(other, first, 'different bytes get a different name');
});

test('a start that finds its addon cached never reads the embedded bytes', () => {
  const cache = dir.file('lazy');
  const file = materializeAddon(cache, addon);
  let reads = 0;
  const counted = { ...addon, bytes: () => (reads++, addonBytes) };
  assert.equal(materializeAddon(cache, counted), file);
  assert.equal(reads, 0);
});

test('a file cut short under the right name is replaced before loading', () => {
  const cache = dir.file('truncated');
  const file = materializeAddon(cache, addon);
  writeFileSync(file, readFileSync(file).subarray(0, 1000));
  assert.equal(materializeAddon(cache, addon), file);
  assert.ok(Buffer.from(addonBytes).equals(readFileSync(file)));
});

test('the loaded addon works as better-sqlite3 nativeBinding', () => {
  const loaded = loadEmbeddedAddon([dir.file('load')], addon);
  assert.equal(loaded.file, join(dir.file('load'), addonFileName(addon)));
  const db = new BetterSqlite3(':memory:', { nativeBinding: loaded.exports as string });
  assert.match((db.prepare('select sqlite_version() as v').get() as { v: string }).v, /^3\./);
  db.close();
});

test('an unusable cache folder falls through to the next; when all fail, each is named', () => {
  const blocker = dir.file('a-file');
  writeFileSync(blocker, '');
  const unusable = join(blocker, 'cappulse'); // a folder inside a regular file cannot be created
  const binding = loadEmbeddedAddon([unusable, dir.file('fallback')], addon).exports as { Database?: unknown };
  assert.equal(typeof binding.Database, 'function');
  assert.throws(
    () => loadEmbeddedAddon([unusable, join(blocker, 'other')], addon),
    (error: Error) => error.message.includes(unusable) && error.message.includes(join(blocker, 'other')),
  );
  assert.throws(() => loadEmbeddedAddon([dir.file('bad')], embeddedAddon('junk', new Uint8Array([1, 2, 3]))), /cannot load the junk addon/);
});

test('cache folders: $XDG_CACHE_HOME, else ~/.cache, then a per-user temp folder', () => {
  const [xdg, xdgFallback] = addonCacheDirs({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' });
  assert.equal(xdg, '/x/cache/cappulse');
  assert.match(xdgFallback ?? '', /cappulse-/);
  assert.equal(addonCacheDirs({ XDG_CACHE_HOME: 'relative', HOME: '/home/u' })[0], '/home/u/.cache/cappulse', 'a relative XDG path is ignored, as the spec says');
  assert.equal(addonCacheDirs({ HOME: '/home/u' })[0], '/home/u/.cache/cappulse');
});
