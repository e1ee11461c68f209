import { z } from 'zod';
import { SCOPES } from '../../store/keys.ts';
import { callerOf } from '../auth.ts';
import { defineApiRoute, type ApiRoute } from '../route.ts';

const usageSchema = z.object({
  key: z.object({ id: z.string(), name: z.string(), prefix: z.string(), scopes: z.array(z.enum(SCOPES)) }),
  rate_limit: z.object({
    limit: z.number().int().describe('Requests per minute.'),
    remaining: z.number().int().describe('Requests that can be made at once right now (after this one).'),
    reset_at: z.string().describe('When the full limit is available again.'),
    reset_seconds: z.number().int(),
  }),
  quota: z.object({
    limit: z.number().int().describe('Requests per calendar month (UTC).'),
    used: z.number().int().describe('Requests counted this month, this one included.'),
    remaining: z.number().int(),
    period_start: z.string(),
    period_end: z.string().describe('The quota resets at this instant.'),
  }),
});

export const usageRoutes: ApiRoute[] = [
  defineApiRoute({
    method: 'GET',
    path: '/v1/usage',
    operationId: 'getUsage',
    summary: "The calling key's limits and use",
    description: 'This request itself is counted, so `used` includes it.',
    tag: 'keys',
    auth: 'read',
    response: usageSchema,
    example: {
      key: { id: 'key_7YbQ2mR9xK4pT1wZ', name: 'grafana', prefix: 'cp_live_h3Xk9Q', scopes: ['read'] },
      rate_limit: { limit: 120, remaining: 119, reset_at: '2026-11-26T16:00:01.000Z', reset_seconds: 1 },
      quota: { limit: 100000, used: 4211, remaining: 95789, period_start: '2026-11-01T00:00:00.000Z', period_end: '2026-12-01T00:00:00.000Z' },
    },
    handler({ event, deps }) {
      const { key, rate, quota } = callerOf(event);
      const now = deps.clock.now();
      return {
        key: { id: key.id, name: key.name, prefix: key.prefix, scopes: key.scopes },
        rate_limit: { limit: rate.limit, remaining: rate.remaining, reset_at: new Date(now + rate.resetMs).toISOString(), reset_seconds: Math.ceil(rate.resetMs / 1000) },
        quota: {
          limit: quota.limit,
          used: quota.used,
          remaining: Math.max(0, quota.limit - quota.used),
          period_start: new Date(quota.periodStart).toISOString(),
          period_end: new Date(quota.periodEnd).toISOString(),
        },
      };
    },
  }),
];
