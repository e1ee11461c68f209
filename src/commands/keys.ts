import { openDatabase } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { parseDuration } from '../lib/durations.ts';
import { issueApiKey, listApiKeys, revokeApiKey, SCOPES, type ApiKeyRecord, type Scope } from '../store/keys.ts';
import { VERSION } from '../version.ts';
import { UsageError, type Command, type ParsedValues } from './command.ts';
import { CONFIG_OPTIONS, configSource } from './config-source.ts';

const HELP = `Usage: cappulse keys create --name NAME [--scope read|admin] [--rate-limit N] [--quota N] [--expires 90d]
       cappulse keys list [--json]
       cappulse keys revoke ID

API keys for the /v1 API. The key is printed once, at creation; only its hash is stored.
  create   --name NAME       what the key is for (e.g. grafana)
           --scope SCOPE     read (default) or admin; repeat for both
           --rate-limit N    requests per minute (default: api.rate_limit_per_minute)
           --quota N         requests per calendar month (default: api.monthly_quota)
           --expires D       lifetime such as 90d, 12h (default: never)
  list     every key with its prefix, scopes, limits and state; never the secret
  revoke   stops the key (a running server refuses it within 0.1 s); it stays listed
Common: -c, --config FILE   --db FILE   --json`;

function positiveInt(value: unknown, flag: string): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag}: ${JSON.stringify(value)} is not a whole number greater than 0`);
  return n;
}

function scopesOf(values: ParsedValues): Scope[] {
  const raw = (values.scope as string[] | undefined) ?? ['read'];
  for (const scope of raw) {
    if (!(SCOPES as readonly string[]).includes(scope)) throw new UsageError(`--scope: "${scope}" is not a scope (read or admin)`);
  }
  return raw as Scope[];
}

const day = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z'));

function state(key: ApiKeyRecord, now: number): string {
  if (key.revokedAt !== null) return 'revoked';
  if (key.expiresAt !== null && key.expiresAt <= now) return 'expired';
  return 'active';
}

export const keysCommand: Command = {
  name: 'keys',
  summary: 'Create, list and revoke API keys',
  help: HELP,
  options: {
    ...CONFIG_OPTIONS,
    name: { type: 'string' },
    scope: { type: 'string', multiple: true },
    'rate-limit': { type: 'string' },
    quota: { type: 'string' },
    expires: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: true,
  async run(values, positionals, io, runtime) {
    const [sub, ...args] = positionals;
    if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') {
      throw new UsageError(sub ? `unknown subcommand "keys ${sub}" (create, list or revoke)` : 'missing subcommand (create, list or revoke)');
    }
    const config = configSource(values).load();
    const db = openDatabase(config.storage.path, runtime?.nativeBinding === undefined ? {} : { nativeBinding: runtime.nativeBinding });
    try {
      await migrateToLatest(db.kysely, undefined, VERSION);
      const now = Date.now();
      if (sub === 'create') {
        const name = (values.name as string | undefined)?.trim();
        if (!name) throw new UsageError('--name is required (what the key is for)');
        let expiresAt: number | null = null;
        if (values.expires !== undefined) {
          const lifetime = parseDuration(String(values.expires));
          if (!lifetime) throw new UsageError(`--expires: ${JSON.stringify(values.expires)} is not a duration (e.g. 90d, 12h)`);
          expiresAt = now + lifetime;
        }
        const input = { name, scopes: scopesOf(values), rateLimit: positiveInt(values['rate-limit'], '--rate-limit'), monthlyQuota: positiveInt(values.quota, '--quota'), expiresAt };
        const { record, key } = await issueApiKey(db.kysely, input, now);
        if (values.json) io.out(JSON.stringify({ id: record.id, name: record.name, prefix: record.prefix, scopes: record.scopes, key }));
        else {
          io.out(`created ${record.id} "${record.name}" (${record.scopes.join(', ')})${expiresAt ? `, expires ${day(expiresAt)}` : ''}`);
          io.out(`\n  ${key}\n\nThis is the only time the key is shown: store it now. Use it as "Authorization: Bearer <key>".`);
        }
        return 0;
      }
      if (sub === 'list') {
        const keys = await listApiKeys(db.kysely, { limit: 10_000 });
        if (values.json) {
          io.out(JSON.stringify(keys.map((k) => ({ ...k, state: state(k, now) }))));
          return 0;
        }
        if (keys.length === 0) io.out('no API keys (create one with: cappulse keys create --name NAME)');
        for (const k of keys) {
          const limits = `rate ${k.rateLimit ?? config.api.rate_limit_per_minute}/min, quota ${k.monthlyQuota ?? config.api.monthly_quota}/month`;
          io.out(`${k.id}  ${k.prefix}…  ${k.name}  [${k.scopes.join(',')}]  ${state(k, now)}  ${limits}  created ${day(k.createdAt)}  last used ${day(k.lastUsedAt)}  expires ${day(k.expiresAt)}`);
        }
        return 0;
      }
      const id = args[0];
      if (!id) throw new UsageError('give the id of the key to revoke (see: cappulse keys list)');
      const key = await revokeApiKey(db.kysely, id, now);
      io.out(`revoked ${key.id} "${key.name}" (${key.prefix}…) at ${day(key.revokedAt)}`);
      return 0;
    } finally {
      await db.close();
    }
  },
};
