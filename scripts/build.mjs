#!/usr/bin/env node
// npm run build → dist/cappulse, the standalone executable (see README, "Standalone executable").
// Also leaves dist/bundle.cjs with dist/better_sqlite3.node beside it, run by the benchmark with
// the same Node. Downloads and compiles go to .cache/sea (kept between builds); an unchanged
// tree is not rebuilt (pass --force to rebuild anyway).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSqliteAddon } from './build/addon.mjs';
import { bundle } from './build/bundle.mjs';
import { inputsHash } from './build/inputs.mjs';
import { ensureNode, NODE_VERSION } from './build/node-base.mjs';
import { makeExecutable, seaAssets } from './build/sea.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');
const cacheDir = join(root, '.cache', 'sea');
const stampFile = join(dist, '.build', 'stamp.json');
const started = performance.now();
/** SEA asset key (PROBE_WORKER_ASSET, CHECKPOINT_WORKER_ASSET), entry, what it is. */
const WORKERS = [
  ['probe-worker.cjs', 'src/probe/thread/worker-main.ts', 'probe timing thread'],
  ['checkpoint-worker.cjs', 'src/db/checkpoint-worker.ts', 'checkpoint thread'],
];
const log = (message) => process.stdout.write(`[build ${((performance.now() - started) / 1000).toFixed(1)}s] ${message}\n`);

async function main() {
  const inputs = inputsHash(root, `node ${NODE_VERSION}`);
  const outputs = ['cappulse', 'bundle.cjs', 'better_sqlite3.node'].map((f) => join(dist, f));
  if (!process.argv.includes('--force') && readStamp()?.inputs === inputs && outputs.every((f) => existsSync(f))) {
    log(`dist/cappulse is up to date (inputs ${inputs.slice(0, 12)})`);
    return;
  }
  const node = ensureNode(cacheDir, log);
  log(`base: Node ${node.version}`);
  const addon = ensureSqliteAddon(root, cacheDir, node, log);
  log(`addon: ${addon}`);

  mkdirSync(join(dist, '.build'), { recursive: true });
  removeStaleWorkDirs(join(dist, '.build'));
  // Each build works in its own folder and renames its outputs into place: a build running at the
  // same time (another terminal, the test suite) never reads a half-written file.
  const work = mkdtempSync(join(dist, '.build', 'work-'));
  try {
    const bundleFile = join(work, 'bundle.cjs');
    const bundled = await bundle(root, bundleFile, dist);
    log(`bundle: ${bundled.inputs} modules, ${(bundled.bytes / 1024).toFixed(0)} KiB`);
    // The threads, each bundled from its entry under the asset key its starter looks for.
    const workers = {};
    for (const [key, entry, what] of WORKERS) {
      workers[key] = join(work, key);
      const worker = await bundle(root, workers[key], dist, entry);
      log(`${what}: ${worker.inputs} modules, ${(worker.bytes / 1024).toFixed(0)} KiB`);
    }
    const assets = await seaAssets(root, addon, workers);
    log(`assets: ${Object.keys(assets).join(', ')}`);
    const executable = join(work, 'cappulse');
    makeExecutable({ node, bundleFile, assets, work, output: executable });
    log(`executable: ${(statSync(executable).size / 1e6).toFixed(1)} MB`);
    copyFileSync(addon, join(work, 'better_sqlite3.node'));
    for (const file of outputs) renameSync(join(work, file.slice(dist.length + 1)), file);
    writeFileSync(stampFile, `${JSON.stringify({ inputs, node: node.version, built_at: new Date().toISOString() }, null, 2)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  log('done: dist/cappulse');
}

/** Work folders an interrupted build left behind (a running build's folder is younger than this). */
function removeStaleWorkDirs(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name.startsWith('work-') && Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { recursive: true, force: true });
  }
}

function readStamp() {
  try {
    return JSON.parse(readFileSync(stampFile, 'utf8'));
  } catch {
    return undefined;
  }
}

main().catch((error) => {
  process.stderr.write(`build failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
