import { Cron } from 'croner';
import type { Config } from '../config/schema.ts';
import { parseDuration } from '../lib/durations.ts';

export type MaintenanceWindow = Config['maintenance'][number];

export interface ActiveWindow {
  provider: string;
  /** Null when the window covers every model of the provider. */
  models: string[] | null;
  start: number;
  end: number;
  reason: string | null;
}

/**
 * Where a window is at `now`: a fixed one is [start, end); a recurring one is [fire, fire +
 * duration) for the latest cron fire time (cron read in UTC, so a window means the same hours
 * wherever the server runs). Pure: croner only does calendar math here.
 */
export function windowAt(window: MaintenanceWindow, now: number): ActiveWindow | null {
  const base = { provider: window.provider, models: window.models ?? null, reason: window.reason ?? null };
  if (window.start !== undefined && window.end !== undefined) {
    const start = Date.parse(window.start);
    const end = Date.parse(window.end);
    return now >= start && now < end ? { ...base, start, end } : null;
  }
  if (window.cron === undefined || window.duration === undefined) return null;
  const length = parseDuration(window.duration) ?? 0;
  // The first fire after (now - length) is the only one whose window can still be open.
  const fire = new Cron(window.cron, { paused: true, timezone: 'Etc/UTC' }).nextRun(new Date(now - length));
  if (fire === null) return null;
  const start = fire.getTime();
  return start <= now && now < start + length ? { ...base, start, end: start + length } : null;
}

export function activeWindows(windows: readonly MaintenanceWindow[], now: number): ActiveWindow[] {
  return windows.map((w) => windowAt(w, now)).filter((w): w is ActiveWindow => w !== null);
}

/** Is this target (or, with no model, the whole provider) inside a window now? */
export function inMaintenance(windows: readonly MaintenanceWindow[], now: number, provider: string, model?: string): boolean {
  return activeWindows(windows, now).some(
    (w) => w.provider === provider && (w.models === null || (model !== undefined && w.models.includes(model))),
  );
}
