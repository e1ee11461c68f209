// Entry point of the standalone executable (`npm run build` bundles from here into
// dist/bundle.cjs, then into dist/cappulse). A source checkout runs bin/cappulse.js instead.
// Like bin/, this is the process edge: it reads the environment for the cache folder only.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as sea from 'node:sea';
import { runCli } from './cli.ts';
import { processIo } from './commands/command.ts';
import { addonCacheDirs, dlopenAddon, loadEmbeddedAddon, type LoadedAddon } from './lib/addon-cache.ts';

/**
 * The SEA asset key of the better-sqlite3 addon and its file name beside dist/bundle.cjs; the
 * build stores its SHA-256 (hex) under the same key + `.sha256` (scripts/build/sea.mjs).
 */
const SQLITE_ADDON_ASSET = 'better_sqlite3.node';

function loadSqliteAddon(): LoadedAddon {
  if (sea.isSea()) {
    // getRawAsset is a view of the executable's own pages: nothing is read until bytes() is called.
    const raw = sea.getRawAsset(SQLITE_ADDON_ASSET) as ArrayBuffer;
    const addon = { name: 'better_sqlite3', sha256: sea.getAsset(`${SQLITE_ADDON_ASSET}.sha256`, 'utf8'), size: raw.byteLength, bytes: () => new Uint8Array(raw) };
    return loadEmbeddedAddon(addonCacheDirs(process.env), addon);
  }
  // The bundle run by plain `node dist/bundle.cjs` (benchmarks, debugging): the build puts the
  // addon, compiled for the executable's Node, beside the bundle.
  const bundle = resolve(process.argv[1] ?? '.');
  const file = join(dirname(bundle), SQLITE_ADDON_ASSET);
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build`);
  return { exports: dlopenAddon(file), file };
}

async function main(): Promise<number> {
  const addon = loadSqliteAddon();
  return runCli(process.argv.slice(2), processIo, { nativeBinding: addon.exports, nativeBindingFile: addon.file });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`cappulse: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
