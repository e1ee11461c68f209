// What a build is made from. The build records this hash beside its output, and skips all work
// when the hash matches: `npm run build` and the smoke test can call it freely.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const INPUT_DIRS = ['src', 'scripts/build'];
const INPUT_FILES = ['package.json', 'package-lock.json', 'config.example.yaml', 'scripts/build.mjs'];

/** sha256 over the path and content of every source file, the lockfile (dependency versions) and the build scripts. */
export function inputsHash(root, extra = '') {
  const files = [...INPUT_FILES.map((f) => join(root, f)), ...INPUT_DIRS.flatMap((d) => listFiles(join(root, d)))].filter((f) => existsSync(f)).sort();
  const hash = createHash('sha256').update(extra);
  for (const file of files) {
    hash.update(`\0${relative(root, file).split(sep).join('/')}\0`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}
