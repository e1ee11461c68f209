import { Cron } from 'croner';
import type { Config } from '../config/schema.ts';
import { parseDuration } from '../lib/durations.ts';

export interface Band {
  start: number;
  end: number;
  label: string;
  provider: string;
  models: string[] | null;
}

/** A cron that fires every minute over a week would draw thousands of slivers; this many is plenty. */
const MAX_BANDS = 200;

/**
 * Maintenance windows overlapping [from, to), for shading charts. Pure: croner only does
 * calendar math, read in UTC as the status engine reads it (status/maintenance.ts).
 */
export function maintenanceBands(windows: Config['maintenance'], from: number, to: number): Band[] {
  const bands: Band[] = [];
  for (const w of windows) {
    const base = { label: w.reason ?? 'maintenance', provider: w.provider, models: w.models ?? null };
    if (w.start !== undefined && w.end !== undefined) {
      const start = Date.parse(w.start);
      const end = Date.parse(w.end);
      if (start < to && end > from) bands.push({ ...base, start, end });
      continue;
    }
    const length = w.duration === undefined ? undefined : parseDuration(w.duration);
    if (w.cron === undefined || length === undefined) continue;
    const cron = new Cron(w.cron, { paused: true, timezone: 'Etc/UTC' });
    let fire = cron.nextRun(new Date(from - length));
    while (fire !== null && fire.getTime() < to && bands.length < MAX_BANDS) {
      const start = fire.getTime();
      if (start + length > from) bands.push({ ...base, start, end: start + length });
      fire = cron.nextRun(fire);
    }
  }
  return bands.sort((a, b) => a.start - b.start);
}

/** Bands on any of these providers; with a model, only those covering it (naming it, or naming none). */
export function bandsFor(bands: readonly Band[], providers: readonly string[], model?: string): Band[] {
  return bands.filter((b) => providers.includes(b.provider) && (model === undefined || b.models === null || b.models.includes(model)));
}
