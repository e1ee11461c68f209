import { readFileSync } from 'node:fs';
import { seaAsset } from '../lib/sea.ts';

/**
 * Static files the dashboard serves under /assets/<name>.
 *
 * THE STANDALONE BUILD MUST EMBED EVERY ASSET LISTED HERE as a Node SEA asset whose key is
 * `seaKey` and whose content is the file at `source` (a path from the repository root): inside
 * the executable there is no source tree, and `readAsset` reads them with `node:sea` getAsset.
 * A test checks that every `source` exists, so a renamed file cannot silently break the build.
 */
export interface StaticAsset {
  /** File name in the URL: /assets/<name>. */
  name: string;
  contentType: string;
  /** Path from the repository root. */
  source: string;
  /** Key of the SEA asset inside the standalone executable. */
  seaKey: string;
}

function asset(name: string, contentType: string, source: string): StaticAsset {
  return { name, contentType, source, seaKey: `web/${name}` };
}

export const DASHBOARD_ASSETS: readonly StaticAsset[] = [
  asset('dashboard.css', 'text/css; charset=utf-8', 'src/web/static/dashboard.css'),
  asset('favicon.svg', 'image/svg+xml', 'src/web/static/favicon.svg'),
  asset('charts.js', 'text/javascript; charset=utf-8', 'src/web/static/charts.js'),
  asset('uplot.iife.min.js', 'text/javascript; charset=utf-8', 'node_modules/uplot/dist/uPlot.iife.min.js'),
  asset('uplot.min.css', 'text/css; charset=utf-8', 'node_modules/uplot/dist/uPlot.min.css'),
];

export function findAsset(name: string): StaticAsset | undefined {
  return DASHBOARD_ASSETS.find((a) => a.name === name);
}

/** The bytes of an asset: from the executable's SEA blob when running inside it, else from disk. */
export function readAsset(asset: StaticAsset): Buffer {
  const embedded = seaAsset(asset.seaKey);
  if (embedded) return Buffer.from(embedded);
  return readFileSync(new URL(`../../${asset.source}`, import.meta.url));
}
