// The base of the executable: an official Node LTS binary with its headers, from the npm package
// node-<platform>-<arch> (a registry package, so the build works where only the npm registry is
// reachable). Fetched with `npm pack` into the build cache, never installed as a dependency: as
// one it would put its own `node` first on PATH in every `npm run`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Node 24 is the active LTS (20, the dev runtime, is past its end of life). Held at 24.18.1:
 * from 24.19.0 the headers make node::ObjectWrap register cleanup hooks, and better-sqlite3
 * built against them aborts the process when V8 collects a statement outside a JS context
 * (nodejs/node#65446; 24.21.0 measured here: abort within a second under
 * scripts/build/addon-gc-check.cjs). Bump when that is fixed: the check gates every new addon.
 */
export const NODE_VERSION = '24.18.1';

export function nodePackageName() {
  if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) {
    throw new Error(`the standalone build supports linux x64 and arm64, not ${process.platform} ${process.arch}`);
  }
  return `node-${process.platform}-${process.arch}`;
}

/** Returns { dir, bin, base } of the unpacked Node (base: the stripped copy to inject into), downloading and unpacking it once per version. */
export function ensureNode(cacheDir, log) {
  const pkg = nodePackageName();
  const dir = join(cacheDir, `${pkg}-${NODE_VERSION}`);
  const result = { dir, bin: join(dir, 'bin', 'node'), base: join(dir, 'bin', 'node-stripped'), version: NODE_VERSION };
  if (existsSync(join(dir, '.complete'))) return result;
  log(`fetching ${pkg}@${NODE_VERSION} with npm pack (about 50 MB, once)`);
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(cacheDir, 'node-tmp-'));
  try {
    const name = execFileSync('npm', ['pack', `${pkg}@${NODE_VERSION}`, '--pack-destination', work, '--silent'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
      .trim()
      .split('\n')
      .pop();
    // Only the binary and the headers (node-gyp --nodedir) are needed, not the docs.
    execFileSync('tar', ['-xzf', join(work, name), '-C', work, 'package/bin/node', 'package/include', 'package/LICENSE'], { stdio: 'inherit' });
    execFileSync(join(work, 'package', 'bin', 'node'), ['--version'], { stdio: 'ignore' });
    stripCopy(join(work, 'package', 'bin', 'node'), join(work, 'package', 'bin', 'node-stripped'), log);
    writeFileSync(join(work, 'package', '.complete'), `${pkg}@${NODE_VERSION}\n`);
    // Renamed into place whole: a concurrent or interrupted build never sees half a Node.
    if (!existsSync(join(dir, '.complete'))) {
      rmSync(dir, { recursive: true, force: true });
      renameSync(join(work, 'package'), dir);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return result;
}

/**
 * The copy that becomes the executable, without symbols and debug info (127 MB → 109 MB for
 * 24.x; the dynamic symbols addons link against stay). Stripped before the blob is injected:
 * stripping an injected binary would cut the blob out.
 */
function stripCopy(from, to, log) {
  copyFileSync(from, to);
  try {
    execFileSync('strip', [to], { stdio: 'ignore' });
  } catch {
    log('strip not found or failed: the executable keeps Node\'s debug info (larger, works the same)');
    copyFileSync(from, to);
  }
}
