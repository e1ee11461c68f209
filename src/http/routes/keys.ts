import { z } from 'zod';
import { parseDuration } from '../../lib/durations.ts';
import { getApiKey, issueApiKey, listApiKeys, revokeApiKey, SCOPES, type ApiKeyRecord } from '../../store/keys.ts';
import { decodeCursor, listSchema, pageQuery, toPage } from '../pagination.ts';
import { defineApiRoute, idParams, type ApiRoute } from '../route.ts';
import { isoOrNull as iso } from '../../lib/time.ts';

export const apiKeySchema = z.object({
  id: z.string().describe('Key id (key_…); not secret.'),
  name: z.string(),
  prefix: z.string().describe('The first characters of the key, to recognise it; never enough to use it.'),
  scopes: z.array(z.enum(SCOPES)),
  rate_limit: z.number().int().nullable().describe('Requests per minute; null = the server default.'),
  monthly_quota: z.number().int().nullable().describe('Requests per calendar month (UTC); null = the server default.'),
  created_at: z.string(),
  last_used_at: z.string().nullable().describe('Written in batches, so it can lag by about a second.'),
  expires_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});

export function keyView(key: ApiKeyRecord): z.infer<typeof apiKeySchema> {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    rate_limit: key.rateLimit,
    monthly_quota: key.monthlyQuota,
    created_at: iso(key.createdAt)!,
    last_used_at: iso(key.lastUsedAt),
    expires_at: iso(key.expiresAt),
    revoked_at: iso(key.revokedAt),
  };
}

const EXAMPLE_KEY = {
  id: 'key_7YbQ2mR9xK4pT1wZ',
  name: 'grafana',
  prefix: 'cp_live_h3Xk9Q',
  scopes: ['read' as const],
  rate_limit: null,
  monthly_quota: null,
  created_at: '2026-11-20T09:00:00.000Z',
  last_used_at: '2026-11-26T15:59:58.000Z',
  expires_at: null,
  revoked_at: null,
};

const createBody = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  scopes: z.array(z.enum(SCOPES)).min(1, 'give at least one scope').default(['read']),
  rate_limit: z.number().int().positive().nullable().optional().describe('Requests per minute (default: server setting).'),
  monthly_quota: z.number().int().positive().nullable().optional().describe('Requests per month (default: server setting).'),
  expires_in: z
    .string()
    .refine((text) => (parseDuration(text) ?? 0) > 0, { error: 'must be a duration such as 90d, 12h or 30m' })
    .optional()
    .describe('Lifetime such as 90d; no expiry when omitted.'),
});

const keyParams = idParams(EXAMPLE_KEY.id);
const cursorKey = z.tuple([z.number(), z.string()]);

export const keyRoutes: ApiRoute[] = [
  defineApiRoute({
    method: 'GET',
    path: '/v1/keys',
    operationId: 'listKeys',
    summary: 'List API keys, newest first (never their secrets)',
    tag: 'keys',
    auth: 'admin',
    query: z.strictObject(pageQuery(cursorKey, [Date.parse(EXAMPLE_KEY.created_at), EXAMPLE_KEY.id])),
    response: listSchema(apiKeySchema),
    example: { data: [EXAMPLE_KEY], has_more: false, next_cursor: null },
    async handler({ query, deps }) {
      const after = decodeCursor(query.cursor, cursorKey);
      // Show last_used_at as of now rather than as of the last batch write.
      await deps.access?.meter.flush();
      const rows = await listApiKeys(deps.db.kysely, { limit: query.limit + 1, ...(after ? { after: { createdAt: after[0], id: after[1] } } : {}) });
      const page = toPage(rows, query.limit, (row) => [row.createdAt, row.id]);
      return { ...page, data: page.data.map(keyView) };
    },
  }),
  defineApiRoute({
    method: 'POST',
    path: '/v1/keys',
    operationId: 'createKey',
    summary: 'Create an API key; the response is the only time the key is shown',
    tag: 'keys',
    auth: 'admin',
    status: 201,
    body: createBody,
    requestExample: { name: 'grafana', scopes: ['read'], expires_in: '90d' },
    response: apiKeySchema.extend({ key: z.string().describe('The secret. Store it now: it is not shown again.') }),
    example: { ...EXAMPLE_KEY, last_used_at: null, key: 'cp_live_h3Xk9QexampleexampleexampleexaXXXXXX' },
    async handler({ body, deps }) {
      const now = deps.clock.now();
      const lifetime = body.expires_in === undefined ? undefined : parseDuration(body.expires_in)!;
      const { record, key } = await issueApiKey(
        deps.db.kysely,
        { name: body.name, scopes: body.scopes, rateLimit: body.rate_limit ?? null, monthlyQuota: body.monthly_quota ?? null, expiresAt: lifetime === undefined ? null : now + lifetime },
        now,
      );
      deps.logger.child('keys').info('key_created', { id: record.id, name: record.name, scopes: record.scopes.join(','), via: 'api' });
      return { ...keyView(record), key };
    },
  }),
  defineApiRoute({
    method: 'GET',
    path: '/v1/keys/:id',
    operationId: 'getKey',
    summary: 'One API key (never its secret)',
    tag: 'keys',
    auth: 'admin',
    params: keyParams,
    errors: ['not_found'],
    response: apiKeySchema,
    example: EXAMPLE_KEY,
    async handler({ params, deps }) {
      return keyView(await getApiKey(deps.db.kysely, params.id));
    },
  }),
  defineApiRoute({
    method: 'DELETE',
    path: '/v1/keys/:id',
    operationId: 'revokeKey',
    summary: 'Revoke an API key: it stops working at once and stays listed for the record',
    tag: 'keys',
    auth: 'admin',
    params: keyParams,
    errors: ['not_found'],
    response: apiKeySchema,
    example: { ...EXAMPLE_KEY, revoked_at: '2026-11-26T16:00:00.000Z' },
    async handler({ params, deps }) {
      const key = await revokeApiKey(deps.db.kysely, params.id, deps.clock.now());
      deps.access?.forgetKeys();
      deps.logger.child('keys').info('key_revoked', { id: key.id, via: 'api' });
      return keyView(key);
    },
  }),
];
