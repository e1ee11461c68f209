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
 * How long after an hour ends a result for it may still arrive: results are written when a
 * probe ends, at most a total timeout (60 s by default) after it started, plus slack.
 */
export const LATE_RESULT_GRACE_MS = 5 * MINUTE;

/** How a window is read: two cached parts and what is left for every request. */
export interface WindowPlan {
  /** Whole hours that can no longer change: merged once, reused until the window moves an hour. */
  hours: Span | undefined;
  /** The other whole minutes that can no longer change: reused until the window moves a minute. */
  minutes: Span[];
  /** Read on every request: the partial minute at the start, the last minutes up to now. */
  open: Span[];
}

/**
 * Splits a window so a request reuses two merged parts and reads a few minutes of rollups: a
 * time is closed (cacheable) once `graceMs` has passed since it, because no result for it should
 * still arrive (a very late one changes the rollups under a kept part, and the reader, which
 * checks them, merges it again). The 1h window has only minute-sized parts: its series is per
 * minute.
 */
export function windowPlan(range: WindowRange, graceMs: number): WindowPlan {
  const first = ceilTo(range.from, MINUTE);
  const closedEnd = floorTo(range.to - graceMs, MINUTE);
  if (first >= closedEnd) return { hours: undefined, minutes: [], open: [[range.from, range.to]] };
  const open: Span[] = [];
  if (range.from < first) open.push([range.from, first]);
  open.push([closedEnd, range.to]);
  const h0 = ceilTo(first, HOUR);
  const h1 = floorTo(closedEnd, HOUR);
  if (range.bucketMs === MINUTE || h0 >= h1) return { hours: undefined, minutes: [[first, closedEnd]], open };
  const minutes: Span[] = [];
  if (first < h0) minutes.push([first, h0]);
  if (h1 < closedEnd) minutes.push([h1, closedEnd]);
  return { hours: [h0, h1], minutes, open };
}
