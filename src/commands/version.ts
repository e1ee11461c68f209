import BetterSqlite3 from 'better-sqlite3';
import { VERSION } from '../version.ts';
import type { Command } from './command.ts';

export const versionCommand: Command = {
  name: 'version',
  summary: 'Print the CapPulse, Node.js and SQLite versions',
  help: 'Usage: cappulse version [--json]',
  options: { json: { type: 'boolean' } },
  async run(values, _positionals, io, runtime) {
    let sqlite = 'unknown';
    try {
      const db = new BetterSqlite3(':memory:', runtime?.nativeBinding ? { nativeBinding: runtime.nativeBinding as string } : {});
      sqlite = (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
      db.close();
    } catch {
      // The version command must work even when the addon cannot load.
    }
    const info = { cappulse: VERSION, node: process.versions.node, sqlite };
    io.out(values.json ? JSON.stringify(info) : `cappulse ${info.cappulse} (node ${info.node}, sqlite ${info.sqlite})`);
    return 0;
  },
};
