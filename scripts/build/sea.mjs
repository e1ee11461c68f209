// The Node single executable: a blob (bundle + code cache + assets) made by the target Node
// itself (the blob format belongs to one Node version), injected with postject into a copy of
// that Node.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Node options the executable always starts with. */
export const SEA_EXEC_ARGV = ['--max-semi-space-size=1'];

/** The fuse string Node looks for to know a blob was injected (fixed by Node for every SEA). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/**
 * Every file the executable reads at run time, by SEA asset key. The addon key matches
 * src/sea-main.ts; config.example.yaml matches src/config/example.ts; `workers` are the bundled
 * threads, keyed as their starters name them (src/lib/start-worker.ts); dashboard assets come
 * from the list in src/web/assets.ts, so a new asset there is embedded without touching this.
 */
export async function seaAssets(root, addonFile, workers) {
  const assets = {
    'better_sqlite3.node': addonFile,
    ...workers,
    // Its hash, so that a start with the addon already cached never reads the embedded copy.
    'better_sqlite3.node.sha256': writeHashFile(addonFile),
    'config.example.yaml': join(root, 'config.example.yaml'),
  };
  const webAssets = join(root, 'src', 'web', 'assets.ts');
  if (existsSync(webAssets)) {
    const { tsImport } = await import('tsx/esm/api');
    const { DASHBOARD_ASSETS } = await tsImport(pathToFileURL(webAssets).href, import.meta.url);
    for (const asset of DASHBOARD_ASSETS) assets[asset.seaKey] = join(root, asset.source);
  }
  for (const [key, file] of Object.entries(assets)) {
    if (!existsSync(file)) throw new Error(`SEA asset ${key}: ${file} does not exist`);
  }
  return assets;
}

function writeHashFile(file) {
  const hashFile = `${file}.sha256`;
  writeFileSync(hashFile, createHash('sha256').update(readFileSync(file)).digest('hex'));
  return hashFile;
}

/** Writes the executable to `output` (made from `node.base`), using `work` for the blob and its config. */
export function makeExecutable({ node, bundleFile, assets, work, output }) {
  const blob = join(work, 'sea-prep.blob');
  const config = join(work, 'sea-config.json');
  writeFileSync(
    config,
    JSON.stringify(
      {
        // Relative to `work` (the config's folder): the name stack traces show, not the build path.
        main: relative(work, bundleFile),
        output: blob,
        disableExperimentalSEAWarning: true,
        // V8's compile cache for the bundle, made by the same Node: start-up skips most parsing.
        useCodeCache: true,
        // V8's young generation may grow to 16 MB per semi-space, sized for allocation-heavy
        // throughput; an idle monitor allocates little, and 1 MB keeps the executable's idle RSS
        // about 6 MB lower (BENCHMARKS.md, executable). NODE_OPTIONS cannot override it: these
        // come after NODE_OPTIONS' options, and V8 keeps a flag's last value.
        execArgv: SEA_EXEC_ARGV,
        assets,
      },
      null,
      2,
    ),
  );
  run(node.bin, ['--experimental-sea-config', config], work);
  copyFileSync(node.base, output);
  chmodSync(output, 0o755);
  const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
  // A child process so that postject's harmless ELF note warnings stay out of the build log.
  run(process.execPath, [postject, output, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], work);
}

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
}
