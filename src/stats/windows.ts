/**
 * Window and bucket arithmetic, all in epoch milliseconds and UTC-aligned buckets. A window is
 * [from, to): a result at exactly `from` is in, one at exactly `to` is out, so consecutive
 * windows and buckets never count a result twice.
 */
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export const WINDOW_NAMES = ['1h', '24h', '7d'] as const;
export type WindowName = (typeof WINDOW_NAMES)[number];

/** Length of each window and the width of its series buckets (DESIGN.md §5). */
export const WINDOWS: Record<WindowName, { spanMs: number; bucketMs: number; bucketLabel: '1m' | '15m' | '1h' }> = {
  '1h': { spanMs: HOUR, bucketMs: MINUTE, bucketLabel: '1m' },
  '24h': { spanMs: DAY, bucketMs: 15 * MINUTE, bucketLabel: '15m' },
  '7d': { spanMs: 7 * DAY, bucketMs: HOUR, bucketLabel: '1h' },
};

export interface WindowRange {
  name: WindowName;
  from: number;
  to: number;
  bucketMs: number;
}

export function windowEndingAt(name: WindowName, now: number): WindowRange {
  const { spanMs, bucketMs } = WINDOWS[name];
  return { name, from: now - spanMs, to: now, bucketMs };
}

export function floorTo(t: number, size: number): number {
  return Math.floor(t / size) * size;
}

export function ceilTo(t: number, size: number): number {
  return Math.ceil(t / size) * size;
}

/** Start of every series bucket that overlaps [from, to); the first and last may be partial. */
export function seriesStarts(range: Pick<WindowRange, 'from' | 'to' | 'bucketMs'>): number[] {
  const starts: number[] = [];
  for (let t = floorTo(range.from, range.bucketMs); t < range.to; t += range.bucketMs) starts.push(t);
  return starts;
}

export type Span = readonly [from: number, to: number];

/** Which source answers which part of a range: raw rows at the ragged minutes, rollups in between. */
export interface SourcePlan {
  raw: Span[];
  minute: Span[];
  hour: Span[];
}

/**
 * Splits [from, to) so the cost does not grow with the probe rate: whole hours from hour
 * rollups (when `hours` is allowed), whole minutes from minute rollups, and only the partial
 * minutes at each end from raw rows. Every instant of the range lands in exactly one span.
 */
export function planSources(from: number, to: number, hours: boolean): SourcePlan {
  const plan: SourcePlan = { raw: [], minute: [], hour: [] };
  if (from >= to) return plan;
  const m1 = ceilTo(from, MINUTE);
  const m2 = floorTo(to, MINUTE);
  if (m1 >= m2) {
    plan.raw.push([from, to]);
    return plan;
  }
  if (from < m1) plan.raw.push([from, m1]);
  const h1 = ceilTo(m1, HOUR);
  const h2 = floorTo(m2, HOUR);
  if (hours && h1 < h2) {
    if (m1 < h1) plan.minute.push([m1, h1]);
    plan.hour.push([h1, h2]);
    if (h2 < m2) plan.minute.push([h2, m2]);
  } else {
    plan.minute.push([m1, m2]);
  }
  if (m2 < to) plan.raw.push([m2, to]);
  return plan;
}

/**
 * The closed, cacheable middle of a window: whole hours that ended at least `graceMs` ago.
 * Results are written when a probe ends, up to a total timeout after it started, so an hour is
 * only trusted as final once that time has passed. Empty when the window has no such hours.
 */
export function closedSpan(range: WindowRange, graceMs: number): Span | undefined {
  const start = ceilTo(range.from, HOUR);
  const end = floorTo(range.to - graceMs, HOUR);
  return start < end ? [start, end] : undefined;
}
