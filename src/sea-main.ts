// Entry point of the standalone executable (`npm run build` bundles from here into
// dist/bundle.cjs, then into dist/cappulse). A source checkout runs bin/cappulse.js instead.
// Like bin/, this is the process edge: it reads the environment for the cache folder only.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as sea from 'node:sea';
import { runCli } from './cli.ts';
import { processIo } from './commands/command.ts';
import { addonCacheDirs, dlopenAddon, loadAddonFromBytes } from './lib/addon-cache.ts';

/** The SEA asset key of the better-sqlite3 addon (scripts/build/sea.mjs uses the same), and its file name beside dist/bundle.cjs. */
const SQLITE_ADDON_ASSET = 'better_sqlite3.node';

function loadSqliteAddon(): unknown {
  if (sea.isSea()) {
    const bytes = new Uint8Array(sea.getRawAsset(SQLITE_ADDON_ASSET) as ArrayBuffer);
    return loadAddonFromBytes(addonCacheDirs(process.env), 'better_sqlite3', bytes);
  }
  // The bundle run by plain `node dist/bundle.cjs` (benchmarks, debugging): the build puts the
  // addon, compiled for the executable's Node, beside the bundle.
  const bundle = resolve(process.argv[1] ?? '.');
  const file = join(dirname(bundle), SQLITE_ADDON_ASSET);
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build`);
  return dlopenAddon(file);
}

async function main(): Promise<number> {
  const nativeBinding = loadSqliteAddon();
  return runCli(process.argv.slice(2), processIo, { nativeBinding });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`cappulse: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
