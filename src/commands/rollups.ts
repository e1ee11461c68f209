import { openDatabase } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { parseDuration } from '../lib/durations.ts';
import { DAY } from '../stats/windows.ts';
import { rebuildRollups } from '../store/rollups-rebuild.ts';
import { VERSION } from '../version.ts';
import { UsageError, type Command } from './command.ts';
import { CONFIG_OPTIONS, configSource } from './config-source.ts';
import { isoOrNull } from '../lib/time.ts';

const HELP = `Usage: cappulse rollups rebuild [--since TIME] [--json]

Recomputes the minute and hour rollups from the raw probe results. Rollups are derived data:
after a rebuild every metric reads the same as before. Safe while \`cappulse serve\` runs (one
hour per transaction; results arriving meanwhile are kept). Hours older than the oldest raw
result are left as they are: retention has already removed what they were built from.
  --since TIME        start at this hour: an ISO date-time (2026-11-20T00:00Z) or an age (24h, 7d)
  -c, --config FILE   config file (for storage.path)
      --db FILE       database file (overrides the config)
      --json          print the report as JSON`;

/** `--since` as an instant: an age counts back from now, anything else must be a date-time. */
export function parseSince(text: string, now: number): number {
  const age = parseDuration(text);
  if (age !== undefined) return now - age;
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) throw new UsageError(`--since: ${JSON.stringify(text)} is neither a date-time (2026-11-20T00:00Z) nor an age (24h, 7d)`);
  return at;
}

export const rollupsCommand: Command = {
  name: 'rollups',
  summary: 'Rebuild the minute and hour rollups from raw results',
  help: HELP,
  options: { ...CONFIG_OPTIONS, since: { type: 'string' }, json: { type: 'boolean' } },
  positionals: true,
  async run(values, positionals, io, runtime) {
    const [sub, extra] = positionals;
    if (sub !== 'rebuild') throw new UsageError(sub ? `unknown subcommand "rollups ${sub}" (rebuild)` : 'missing subcommand (rebuild)');
    if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
    const since = values.since === undefined ? undefined : parseSince(String(values.since), Date.now());
    const config = configSource(values).load();
    const db = openDatabase(config.storage.path, runtime?.nativeBinding === undefined ? {} : { nativeBinding: runtime.nativeBinding });
    try {
      await migrateToLatest(db.kysely, undefined, VERSION);
      const started = performance.now();
      const report = await rebuildRollups(db.kysely, {
        ...(since === undefined ? {} : { since }),
        // A day of hours at a time is enough to show it is moving on a long rebuild.
        onHour: (hour) => {
          if (!values.json && hour % DAY === 0) io.out(`  ${new Date(hour).toISOString().slice(0, 10)} …`);
        },
      });
      const seconds = (performance.now() - started) / 1000;
      if (values.json) io.out(JSON.stringify({ ...report, from: isoOrNull(report.from), seconds }));
      else if (report.from === null) io.out('no raw results: nothing to rebuild');
      else {
        io.out(
          `rebuilt ${report.hours} hours from ${new Date(report.from).toISOString()}: ${report.results} results → ${report.rows.minute} minute and ${report.rows.hour} hour rollups in ${seconds.toFixed(1)} s`,
        );
      }
      return 0;
    } finally {
      await db.close();
    }
  },
};
