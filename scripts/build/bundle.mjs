// One CommonJS file from src/sea-main.ts: Node SEA runs a single CJS script, so everything the
// executable needs is imported statically (migrations included) and lands in this file.
import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { build } from 'esbuild';

const SOURCE_URL = '__cappulse_source_url';

/**
 * Bundles into `outfile`; `finalDir` is where the bundle will live (paths to sources are relative
 * to it). The entry is the executable's main script, or the probe timing thread's
 * (src/probe/thread/worker-main.ts), which the executable embeds as an asset and runs as eval code.
 */
export async function bundle(root, outfile, finalDir, entry = 'src/sea-main.ts') {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    minifySyntax: true,
    minifyWhitespace: true,
    keepNames: true,
    legalComments: 'eof',
    logLevel: 'silent',
    metafile: true,
    // A banner, not an inline expression: a source may shadow `require` where it uses import.meta.url.
    banner: { js: `var ${SOURCE_URL} = (rel) => require("node:url").pathToFileURL(require("node:path").join(__dirname, rel)).href;` },
    plugins: [sourceUrls(root, finalDir), noBindingsLookup(), asciiRegex()],
  });
  // A warning here (import.meta in a dependency, a require that cannot be bundled) is a feature
  // that would break only inside the executable: fail the build instead.
  if (result.warnings.length > 0) {
    const text = result.warnings.map((w) => `${w.location?.file ?? '?'}:${w.location?.line ?? '?'}: ${w.text}`).join('\n');
    throw new Error(`esbuild warnings:\n${text}`);
  }
  await assertAscii(outfile);
  return { bytes: result.metafile.outputs[relative(root, outfile).split(sep).join('/')]?.bytes, inputs: Object.keys(result.metafile.inputs).length };
}

/**
 * CJS output has no import.meta. Our sources use import.meta.url only to find files beside the
 * source tree (the example config, dashboard assets) when not running from the executable; it
 * becomes the same path relative to the bundle, so `node dist/bundle.cjs` in a checkout still
 * finds them. Inside the executable those reads come from SEA assets instead.
 */
function sourceUrls(root, outdir) {
  return {
    name: 'cappulse-source-urls',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (!args.path.startsWith(join(root, 'src') + sep) || !text.includes('import.meta.url')) return undefined;
        const rel = relative(outdir, args.path).split(sep).join('/');
        return { contents: text.replaceAll('import.meta.url', `${SOURCE_URL}(${JSON.stringify(rel)})`), loader: 'ts' };
      });
    },
  };
}

/**
 * better-sqlite3 finds its addon through the `bindings` package, which searches node_modules:
 * nothing to find inside the executable. The executable always passes the addon it loaded
 * (`nativeBinding`), so reaching this lookup is a bug worth a clear message.
 */
function noBindingsLookup() {
  return {
    name: 'cappulse-no-bindings',
    setup(b) {
      b.onResolve({ filter: /^bindings$/ }, () => ({ path: 'bindings', namespace: 'cappulse-stub' }));
      b.onLoad({ filter: /.*/, namespace: 'cappulse-stub' }, () => ({
        contents:
          'module.exports = () => { throw new Error("internal: the SQLite database was opened without the executable\'s nativeBinding (pass CliRuntime.nativeBinding to createApp / openDatabase)"); };',
        loader: 'js',
      }));
    },
  };
}

/**
 * V8 keeps an all-ASCII script as one byte per character; a single other character makes it
 * store the whole 1.4 MB bundle as UTF-16, twice the memory for the life of the process (the
 * idle RSS goal of the executable is tight). esbuild escapes non-ASCII characters in strings
 * but not in regular expression literals or tagged templates, so dashboard templates use HTML
 * entities, dependencies are fixed up below, and the build fails if one slips through.
 */
async function assertAscii(file) {
  const text = await readFile(file, 'utf8');
  const at = text.search(/[^\x00-\x7f]/);
  if (at === -1) return;
  const line = text.slice(0, at).split('\n').length;
  throw new Error(`the bundle must be ASCII-only (see assertAscii in scripts/build/bundle.mjs): line ${line}: …${text.slice(Math.max(0, at - 60), at + 20)}…`);
}

/** rou3 (h3's router) writes U+FFFC literally in a regular expression; the escape means the same. */
function asciiRegex() {
  return {
    name: 'cappulse-ascii-regex',
    setup(b) {
      b.onLoad({ filter: /[\\/]rou3[\\/].*\.m?js$/ }, async (args) => ({
        contents: (await readFile(args.path, 'utf8')).replaceAll('\uFFFC', '\\uFFFC'),
        loader: 'js',
      }));
    },
  };
}
