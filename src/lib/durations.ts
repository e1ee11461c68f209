/** Durations as people write them in config and on the command line: `250ms`, `30s`, `15m`, `2h`, `7d`. */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]) * (UNITS[match[2]!] ?? Number.NaN);
  return Number.isFinite(value) ? value : undefined;
}

export function isDuration(text: string): boolean {
  return parseDuration(text) !== undefined;
}

/** The largest whole unit that divides the value evenly, for readable output. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = UNITS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
