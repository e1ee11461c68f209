import { z } from 'zod';
import { cronExpression, duration, httpUrl, positiveInt, slug } from './fields.ts';
import { thresholdOverridesSchema, thresholdsSchema } from './thresholds.ts';
import { parseDuration } from '../lib/durations.ts';

const HOUR_MS = 3_600_000;
/** The shortest retention each window's reads can stand on (see docs/methodology.md §4). */
const RETENTION_FLOORS = [
  ['minute_rollups', 25 * HOUR_MS, '25h: the 24h window and its 15-minute series are read from minute rollups'],
  ['hour_rollups', 169 * HOUR_MS, '169h (7d and an hour): the 7d window is read from hour rollups'],
] as const;

/**
 * The whole configuration: types, defaults and validation in one pure module. `config/load.ts`
 * reads the file and environment; everything after it receives the frozen, defaulted result.
 */
export const PROVIDER_KINDS = ['openai', 'anthropic', 'gemini', 'http'] as const;
export const TIMING_THREAD_MODES = ['auto', 'always', 'never'] as const;
export const CHECKPOINT_THREAD_MODES = ['auto', 'always', 'never'] as const;
export type TimingThreadMode = (typeof TIMING_THREAD_MODES)[number];
export type CheckpointThreadMode = (typeof CHECKPOINT_THREAD_MODES)[number];
export const WEBHOOK_EVENT_TYPES = [
  'incident.created',
  'incident.updated',
  'provider.degraded',
  'provider.recovered',
  'webhook.test',
] as const;

const timeoutsSchema = z.strictObject({
  connect: duration.default('5s').describe('Time allowed to open the connection (TCP + TLS).'),
  first_token: duration.default('30s').describe('Time allowed from sending the request to the first content token.'),
  total: duration.default('60s').describe('Time allowed for the whole probe, to the end of the stream.'),
});
const timeoutOverridesSchema = z.strictObject({
  connect: duration.optional().describe('Overrides defaults.timeouts.connect.'),
  first_token: duration.optional().describe('Overrides defaults.timeouts.first_token.'),
  total: duration.optional().describe('Overrides defaults.timeouts.total.'),
});

const maxTokensParam = z.enum(['max_completion_tokens', 'max_tokens'], {
  error: 'must be "max_completion_tokens" (OpenAI) or "max_tokens" (older OpenAI-compatible servers)',
});

const headersSchema = z.record(z.string(), z.string({ error: 'header values must be strings' })).describe('Extra request headers.');

const modelSchema = z.strictObject({
  slug: slug.describe('CapPulse name of the model; the same slug under several providers is one model.'),
  id: z.string().min(1).optional().describe("The provider's own model id (defaults to slug)."),
  name: z.string().min(1).optional().describe('Display name (defaults to slug).'),
  schedule: cronExpression.optional().describe('Cron expression overriding the provider schedule.'),
  reasoning: z.boolean().default(false).describe('A reasoning model: output cap raised so hidden reasoning does not end the probe with no content.'),
  max_output_tokens: positiveInt.optional().describe('Output token cap for this model (default 1; 16 for reasoning models).'),
  thresholds: thresholdOverridesSchema.optional().describe('Overrides of the top-level thresholds for this model.'),
});

const httpCheckSchema = z.strictObject({
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT'], { error: 'must be GET, HEAD, POST or PUT' }).default('GET').describe('HTTP method.'),
  expect_status: z.number().int().min(100).max(599).default(200).describe('Expected HTTP status.'),
  expect_body: z.string().optional().describe('A substring the body must contain.'),
  body: z.string().optional().describe('Request body (POST/PUT).'),
});

const providerSchema = z.strictObject({
  slug: slug.describe('Short name used in URLs and the API.'),
  name: z.string().min(1).optional().describe('Display name (defaults to slug).'),
  kind: z.enum(PROVIDER_KINDS, {
    error: (issue) => `${JSON.stringify(issue.input)} is not a provider kind (one of ${PROVIDER_KINDS.join(', ')})`,
  }).describe('API family: openai (Chat Completions and compatibles: Azure, Groq, Together, Mistral, DeepSeek, OpenRouter, Ollama, vLLM), anthropic, gemini, or http (liveness of any URL).'),
  base_url: httpUrl.describe('API base URL, e.g. https://api.openai.com/v1 (for kind http: the URL to check).'),
  api_key: z.string().optional().describe('API key; write ${ENV_VAR} so the secret stays out of the file.'),
  headers: headersSchema.default({}),
  schedule: cronExpression.optional().describe('Cron expression overriding defaults.schedule.'),
  timeouts: timeoutOverridesSchema.optional().describe('Overrides defaults.timeouts for this provider.'),
  max_tokens_param: maxTokensParam.optional().describe('Overrides defaults.max_tokens_param (Groq, older vLLM: max_tokens).'),
  http: httpCheckSchema.optional().describe('For kind http: what a healthy answer looks like.'),
  thresholds: thresholdOverridesSchema.optional().describe('Overrides of the top-level thresholds for this provider.'),
  models: z.array(modelSchema).default([]).describe('Models to probe at this provider.'),
});

const webhookEndpointSchema = z.strictObject({
  url: httpUrl.describe('Where events are POSTed.'),
  secret: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'must look like whsec_<base64> (at least 16 base64 characters)')
    .describe('Signing secret; write ${ENV_VAR}.'),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).default([...WEBHOOK_EVENT_TYPES]).describe('Event types to send.'),
  description: z.string().optional().describe('A note for people.'),
});

const maintenanceSchema = z
  .strictObject({
    provider: slug.describe('Provider slug the window applies to.'),
    models: z.array(slug).optional().describe('Models covered (all of the provider when omitted).'),
    start: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2026-12-01T02:00:00Z' }).optional().describe('Start of a one-off window.'),
    end: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2026-12-01T04:00:00Z' }).optional().describe('End of a one-off window.'),
    cron: cronExpression.optional().describe('Recurring window start.'),
    duration: duration.optional().describe('Length of a recurring window.'),
    reason: z.string().optional().describe('Shown with the window in the API and dashboard.'),
  })
  .superRefine((value, ctx) => {
    const fixed = value.start !== undefined || value.end !== undefined;
    const recurring = value.cron !== undefined || value.duration !== undefined;
    if (fixed === recurring) {
      ctx.addIssue({ code: 'custom', message: 'give either start and end, or cron and duration' });
    } else if (fixed && (value.start === undefined || value.end === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a fixed window needs both start and end' });
    } else if (recurring && (value.cron === undefined || value.duration === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a recurring window needs both cron and duration' });
    }
  });

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1').describe('Address to listen on; 127.0.0.1 keeps the API local.'),
        port: z.number({ error: 'must be a port number' }).int('must be a whole number').min(0, 'must be between 0 and 65535').max(65535, 'must be between 0 and 65535').default(8080).describe('Port to listen on; 0 picks a free one.'),
        log_format: z.enum(['text', 'json']).default('text').describe('text: one readable line per event; json: one JSON object per line.'),
        log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('Least severe level that is logged.'),
        max_body_bytes: positiveInt.default(65536).describe('Largest request body accepted.'),
      })
      .prefault({}),
    storage: z
      .strictObject({
        path: z.string().min(1).default('./cappulse.db').describe('SQLite file.'),
        checkpoint_thread: z
          .enum(CHECKPOINT_THREAD_MODES, { error: 'must be auto, always or never' })
          .default('auto')
          .describe(
            'Where the write-ahead log is copied into the SQLite file (a checkpoint: two fsyncs, 3 to 11 ms measured). never: by SQLite, inside the commit of a result on the main thread, once every 1 000 pages, where it delays the probe answers read meanwhile. always: on a thread of its own, every second, for about 10 MB of memory. auto: on the thread while results are stored at 5 or more a second, and back on the main thread after five quieter minutes.',
          ),
        retention: z
          .strictObject({
            raw: duration.default('7d').describe('How long raw probe results are kept.'),
            minute_rollups: duration.default('8d').describe('How long per-minute rollups are kept (at least 25h: the 24h window is read from them).'),
            hour_rollups: duration.default('400d').describe('How long per-hour rollups are kept (at least 169h: the 7d window is read from them).'),
            webhook_history: duration.default('30d').describe('How long delivered webhook history is kept.'),
          })
          .superRefine((retention, ctx) => {
            // The pruning cut falls on an hour boundary, so a window needs its rows kept an hour longer.
            for (const [key, least, why] of RETENTION_FLOORS) {
              const ms = parseDuration(retention[key]);
              if (ms !== undefined && ms < least) ctx.addIssue({ code: 'custom', path: [key], message: `must be at least ${why}` });
            }
          })
          .prefault({})
          .describe('How long each kind of data is kept; a pruning job deletes older rows.'),
      })
      .prefault({}),
    defaults: z
      .strictObject({
        schedule: cronExpression.default('*/30 * * * * *').describe('How often each model is probed (croner, seconds first).'),
        timeouts: timeoutsSchema.prefault({}).describe('Probe timeouts; a provider can override each.'),
        prompt: z.string().min(1).default('Reply with the single word: ok.').describe('Probe prompt; a random nonce is added so no cache answers it.'),
        max_tokens_param: maxTokensParam.default('max_completion_tokens').describe('Name of the output cap field for kind openai.'),
        concurrency: positiveInt.default(16).describe('Most probes in flight at once.'),
        timing_thread: z
          .enum(TIMING_THREAD_MODES, { error: 'must be auto, always or never' })
          .default('never')
          .describe(
            'Where probes run and are timed. never: on the main thread, beside storing results, the API and the dashboard; answers are read and timed between those jobs, one job at a time, so the bias stays close to that of a bare node:http client, even at 500 probes in flight. always: on a worker thread that does nothing else, so that even a long stretch of other work (a cold 7-day metrics query, 100 to 170 ms) never delays a timestamp, for about 10 MB of memory and 0.3 to 0.7 ms more CPU per probe. auto: on the main thread until its event loop stands still for more than 50 ms while a probe is in flight, then on the thread.',
          ),
      })
      .prefault({}),
    providers: z.array(providerSchema).default([]),
    thresholds: thresholdsSchema.prefault({}),
    maintenance: z.array(maintenanceSchema).default([]),
    webhooks: z
      .strictObject({
        allow_private: z.boolean().default(false).describe('Allow endpoints on private, loopback or link-local addresses (internal alerting).'),
        allow_hosts: z.array(z.string()).default([]).describe('Hosts allowed even when private.'),
        timeout: duration.default('15s').describe('Time allowed for one delivery attempt.'),
        retry_schedule: z.array(duration).min(1).default(['0s', '5s', '5m', '30m', '2h', '5h', '10h', '14h', '20h', '24h']).describe('Delay before each attempt (with jitter); after the last, a delivery is failed.'),
        rotation_grace: duration.default('24h').describe('After a secret rotation, how long the old secret also signs.'),
        concurrency: positiveInt.default(16).describe('Most webhook POSTs in flight at once.'),
        endpoint_concurrency: positiveInt.default(4).describe('Most webhook POSTs in flight to one endpoint.'),
        disable_after: duration.default('5d').describe('An endpoint whose deliveries have all failed for this long is disabled.'),
        endpoints: z.array(webhookEndpointSchema).default([]).describe('Endpoints defined here are read-only through the API.'),
      })
      .prefault({}),
    api: z
      .strictObject({
        rate_limit_per_minute: positiveInt.default(120).describe('Default requests per minute per key.'),
        monthly_quota: positiveInt.default(100000).describe('Default requests per calendar month (UTC) per key.'),
        anonymous_rate_limit_per_minute: positiveInt
          .default(60)
          .describe('Requests per minute per client address without a valid key: fetching the OpenAPI document, and requests answered 401 (after it, 429). Behind a reverse proxy every client shares the proxy\'s address.'),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.providers.forEach((provider, index) => {
      const first = seen.get(provider.slug);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['providers', index, 'slug'], message: `"${provider.slug}" is already used by providers[${first}]; provider slugs must be unique` });
      } else seen.set(provider.slug, index);
      const models = new Map<string, number>();
      provider.models.forEach((model, m) => {
        const prior = models.get(model.slug);
        if (prior !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['providers', index, 'models', m, 'slug'], message: `"${model.slug}" is already used by providers[${index}].models[${prior}]; model slugs must be unique within a provider` });
        } else models.set(model.slug, m);
      });
      if (provider.kind === 'http' && provider.models.length > 1) {
        ctx.addIssue({ code: 'custom', path: ['providers', index, 'models'], message: 'a provider of kind http checks one URL: give at most one model (or none)' });
      }
    });
    config.maintenance.forEach((window, index) => {
      if (!seen.has(window.provider)) {
        ctx.addIssue({ code: 'custom', path: ['maintenance', index, 'provider'], message: `"${window.provider}" is not a configured provider slug` });
      }
    });
  });

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type ProviderConfig = Config['providers'][number];
export type ModelConfig = ProviderConfig['models'][number];
export type ProviderKind = (typeof PROVIDER_KINDS)[number];
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** JSON Schema (draft 2020-12) of the config file, for editors. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://cappulse.dev/schema/config.json',
    title: 'CapPulse configuration',
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
  };
}
