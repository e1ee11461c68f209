import { setTimeout as sleep } from 'node:timers/promises';
import { openDatabase } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { parseDuration } from '../lib/durations.ts';
import { AppError } from '../lib/errors.ts';
import { countDeliveries, findDelivery, listAttempts, listDeliveries } from '../store/delivery-history.ts';
import type { DeliveryStatus } from '../store/deliveries.ts';
import { findEndpoint, listEndpoints } from '../store/webhooks.ts';
import { queueTestEvent } from '../webhooks/test-event.ts';
import { VERSION } from '../version.ts';
import { UsageError, type Command } from './command.ts';
import { CONFIG_OPTIONS, configSource } from './config-source.ts';

const HELP = `Usage: cappulse webhooks list [--json]
       cappulse webhooks test ENDPOINT_ID [--wait 10s]
       cappulse webhooks deliveries ENDPOINT_ID [--status pending|delivered|failed] [--limit N] [--json]

Webhook endpoints and their deliveries, read from the database (config endpoints appear once
\`cappulse serve\` has synced them).
  list         every endpoint: id, URL, source, state, subscribed events, delivery counts
  test         queues a webhook.test event for the endpoint and waits for the running
               \`cappulse serve\` to deliver it, then prints the outcome (--wait: how long)
  deliveries   the endpoint's deliveries, newest first, with their last answer
Common: -c, --config FILE   --db FILE   --json`;

const STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'failed'];
const time = (ms: number | null) => (ms === null ? '-' : new Date(Number(ms)).toISOString().replace('.000Z', 'Z'));

export const webhooksCommand: Command = {
  name: 'webhooks',
  summary: 'List webhook endpoints, send a test event, show deliveries',
  help: HELP,
  options: { ...CONFIG_OPTIONS, json: { type: 'boolean' }, status: { type: 'string' }, limit: { type: 'string' }, wait: { type: 'string' } },
  positionals: true,
  async run(values, positionals, io, runtime) {
    const [sub, id] = positionals;
    if (sub !== 'list' && sub !== 'test' && sub !== 'deliveries') {
      throw new UsageError(sub ? `unknown subcommand "webhooks ${sub}" (list, test or deliveries)` : 'missing subcommand (list, test or deliveries)');
    }
    if (sub !== 'list' && !id) throw new UsageError(`give the endpoint id (see: cappulse webhooks list)`);
    const status = values.status as string | undefined;
    if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) throw new UsageError(`--status: "${status}" is not pending, delivered or failed`);
    const limit = values.limit === undefined ? 20 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit: ${JSON.stringify(values.limit)} is not a whole number greater than 0`);
    const waitMs = values.wait === undefined ? 10_000 : parseDuration(String(values.wait));
    if (waitMs === undefined) throw new UsageError(`--wait: ${JSON.stringify(values.wait)} is not a duration (e.g. 10s)`);

    const config = configSource(values).load();
    const db = openDatabase(config.storage.path, runtime?.nativeBinding === undefined ? {} : { nativeBinding: runtime.nativeBinding });
    try {
      await migrateToLatest(db.kysely, undefined, VERSION);
      if (sub === 'list') {
        const rows = await listEndpoints(db.kysely, 10_000);
        const out = [];
        for (const row of rows) out.push({ id: row.id, url: row.url, source: row.source, enabled: row.enabled === 1, disabled_reason: row.disabled_reason, events: JSON.parse(row.events) as string[], deliveries: await countDeliveries(db.kysely, row.id) });
        if (values.json) io.out(JSON.stringify(out));
        else if (out.length === 0) io.out('no webhook endpoints (add them under webhooks.endpoints in the config, or POST /v1/webhooks/endpoints)');
        else for (const e of out) io.out(`${e.id}  ${e.url}  ${e.source}  ${e.enabled ? 'enabled' : `disabled (${e.disabled_reason})`}  events: ${e.events.join(',')}  delivered ${e.deliveries.delivered}, pending ${e.deliveries.pending}, failed ${e.deliveries.failed}`);
        return 0;
      }
      if (!(await findEndpoint(db.kysely, id!))) throw new AppError('not_found', `no webhook endpoint ${id} (see: cappulse webhooks list)`);
      if (sub === 'deliveries') {
        const rows = await listDeliveries(db.kysely, id!, { limit, ...(status ? { status: status as DeliveryStatus } : {}) });
        if (values.json) io.out(JSON.stringify(rows));
        else if (rows.length === 0) io.out('no deliveries');
        else for (const d of rows) io.out(`${d.id}  ${d.event_type}  ${d.status}  attempts ${d.attempts}  last ${d.last_http_status ?? d.last_error ?? '-'}  created ${time(d.created_at)}${d.status === 'pending' ? `  next ${time(d.next_attempt_at)}` : ''}`);
        return 0;
      }
      const { event, delivery } = await queueTestEvent(db.kysely, id!, Date.now());
      io.out(`queued ${event.id} as delivery ${delivery.id}`);
      // The running server delivers it (its timer looks at the queue every second); we only watch.
      const deadline = Date.now() + waitMs;
      for (;;) {
        const row = await findDelivery(db.kysely, delivery.id);
        const attempts = row ? await listAttempts(db.kysely, row.id) : [];
        const last = attempts.at(-1);
        if (row && last) {
          io.out(`${row.status === 'delivered' ? 'delivered' : 'not delivered'}: attempt ${last.attempt}, ${last.http_status === null ? last.error : `HTTP ${last.http_status}`} in ${Math.round(last.duration_ms)} ms${row.status === 'pending' ? `; next try ${time(row.next_attempt_at)}` : ''}`);
          return row.status === 'delivered' ? 0 : 1;
        }
        if (Date.now() >= deadline) break;
        await sleep(200);
      }
      io.out(`still queued after ${waitMs} ms: is \`cappulse serve\` running on ${config.storage.path}? It delivers queued events when it runs.`);
      return 1;
    } finally {
      await db.close();
    }
  },
};
