import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The CLI bundled into one ESM file (packages left to node_modules), for tests that start
 * `cappulse serve` many times: bin/cappulse.js compiles every source through tsx on each start,
 * which on a busy machine costs seconds per start. Same sources, same entry (runCli), the way
 * the standalone executable bundles them. Written under .cache/ (git-ignored) so package imports
 * resolve from the repository's node_modules.
 */
export async function bundleCli(): Promise<{ file: string; remove(): void }> {
  const dir = `${ROOT}.cache/test-cli`;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/cappulse-${process.pid}.mjs`;
  await build({
    stdin: { contents: "import { runCli } from './src/cli.ts';\nprocess.exit(await runCli(process.argv.slice(2)));\n", resolveDir: ROOT, loader: 'ts', sourcefile: 'bundled-cli.ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: file,
    logLevel: 'error',
  });
  return { file, remove: () => rmSync(file, { force: true }) };
}
