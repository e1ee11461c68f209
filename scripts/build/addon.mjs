// better-sqlite3's addon compiled for the executable's Node (its ABI differs from the Node that
// runs the build). Compiled in a copy of the package: node_modules/better-sqlite3 keeps its own
// build for the Node the project runs on.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Returns the path of better_sqlite3.node built against `node` (from ensureNode), compiling it once per version pair. */
export function ensureSqliteAddon(root, cacheDir, node, log) {
  const source = join(root, 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
  const key = `better-sqlite3-${version}-node-${node.version}-${process.platform}-${process.arch}`;
  const file = join(cacheDir, key, 'better_sqlite3.node');
  if (existsSync(file)) return file;

  const gyp = findNodeGyp();
  log(`compiling better-sqlite3 ${version} (SQLite included) for Node ${node.version}, once: a few minutes (longer on a busy machine)`);
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(cacheDir, 'addon-tmp-'));
  const logFile = join(cacheDir, `${key}.log`);
  try {
    for (const part of ['binding.gyp', 'package.json', 'src', 'deps']) cpSync(join(source, part), join(work, part), { recursive: true });
    const result = spawnSync(process.execPath, [gyp, 'rebuild', '--release', `--nodedir=${node.dir}`, '--jobs=max'], {
      cwd: work,
      env: gypEnv(node.dir),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(logFile, output);
    if (result.status !== 0) {
      throw new Error(`node-gyp failed (exit ${result.status ?? result.signal}); the last lines of ${logFile}:\n${output.split('\n').slice(-30).join('\n')}`);
    }
    const built = join(work, 'build', 'Release', 'better_sqlite3.node');
    // Exercised by the target Node before it is cached: a wrong ABI or an addon that aborts under
    // garbage collection fails the build here, not in a user's long-running server.
    checkUnderGc(node, built, source);
    // Same file system, so the rename is atomic: a concurrent build sees no file or a whole one.
    renameSync(built, file);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return file;
}

/**
 * node-gyp lets npm_config_* variables override its own command line, and `npm test` exports the
 * machine's npm config (here nodedir=/usr: Node 20's headers). Without this the addon would be
 * built for the Node running npm instead of the executable's.
 */
function gypEnv(nodedir) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) if (!/^npm_config_/i.test(name)) env[name] = value;
  env.npm_config_nodedir = nodedir;
  return env;
}

function checkUnderGc(node, addon, betterSqlite3) {
  const script = fileURLToPath(new URL('addon-gc-check.cjs', import.meta.url));
  const result = spawnSync(node.bin, ['--max-semi-space-size=1', script, addon, betterSqlite3], { encoding: 'utf8', timeout: 120_000 });
  if (result.stdout.trim() !== 'ok') {
    throw new Error(
      `better-sqlite3 compiled against Node ${node.version}'s headers fails under garbage collection ` +
        `(exit ${result.status ?? result.signal}); see scripts/build/addon-gc-check.cjs:\n${result.stderr.split('\n').slice(0, 6).join('\n')}`,
    );
  }
}

/**
 * node-gyp ships inside npm. `npm run` tells scripts where (npm_config_node_gyp); otherwise it is
 * found beside the npm on PATH.
 */
function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath) candidates.push(join(dirname(dirname(process.env.npm_execpath)), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  try {
    const globalRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    candidates.push(join(globalRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  } catch {
    // No npm on PATH: only the candidates above remain.
  }
  const found = candidates.find((candidate) => candidate && existsSync(candidate));
  if (!found) throw new Error(`node-gyp not found (looked in: ${candidates.filter(Boolean).join(', ')}); it ships with npm`);
  return found;
}
