import { Cron } from 'croner';
import { compareText } from '../lib/compare.ts';

/**
 * Stable offsets that spread targets sharing a schedule over its period, so fifty models on
 * "every 30 s" do not all fire in the same millisecond (and hit one provider, and our event
 * loop, at once). Pure. The offset comes from a hash of the target key, so it survives restarts
 * and reloads; collisions are nudged apart by a millisecond.
 *
 * The spread window is the period, capped at a minute: a daily 09:00 probe should run near 09:00,
 * not at a random hour.
 */
export const MAX_SPREAD_MS = 60_000;

/** FNV-1a, 32 bits: cheap, stable across versions, good enough to scatter keys. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The gap between the schedule's next two runs after `from`. */
export function schedulePeriod(pattern: string, from: number): number {
  const [first, second] = new Cron(pattern, { paused: true }).nextRuns(2, new Date(from));
  return first && second ? second.getTime() - first.getTime() : MAX_SPREAD_MS;
}

export function spreadOffsets(targets: ReadonlyArray<{ key: string; schedule: string }>, from: number): Map<string, number> {
  const groups = new Map<string, string[]>();
  for (const target of targets) groups.set(target.schedule, [...(groups.get(target.schedule) ?? []), target.key]);
  const offsets = new Map<string, number>();
  for (const [schedule, keys] of groups) {
    const period = schedulePeriod(schedule, from);
    const window = Math.max(1, Math.min(period, MAX_SPREAD_MS));
    const placed = keys.map((key) => ({ key, offset: Math.floor((stableHash(key) / 2 ** 32) * window) }));
    placed.sort((a, b) => a.offset - b.offset || compareText(a.key, b.key));
    let previous = -1;
    for (const item of placed) {
      const offset = Math.min(Math.max(item.offset, previous + 1), Math.max(period - 1, 0));
      offsets.set(item.key, offset);
      previous = offset;
    }
  }
  return offsets;
}
