import { issueApiKey, type NewApiKey } from '../../src/store/keys.ts';
import type { TestApp } from './app.ts';

/**
 * API keys for a running test app. Every /v1 route except /v1/openapi.json needs
 * `Authorization: Bearer cp_live_…`; use these so an API test tests its route, not the guard:
 *
 *   const t = await startTestApp(...);
 *   const keys = await createTestKeys(t);
 *   await fetch(`${t.url}/v1/providers`, { headers: keys.auth() });          // read scope
 *   await fetch(`${t.url}/v1/webhooks`, { method: 'POST', headers: keys.auth('admin'), body });
 *
 * The keys get a huge rate limit and quota so no test trips over them by accident; tests of the
 * limits themselves create their own keys with `createTestKey`.
 */
export interface TestKeys {
  read: string;
  admin: string;
  /** Authorization (and JSON content-type) headers for the given scope. */
  auth(scope?: 'read' | 'admin'): Record<string, string>;
}

const UNLIMITED = 1_000_000_000;

export async function createTestKey(t: TestApp, input: Partial<NewApiKey> = {}): Promise<string> {
  const { key } = await issueApiKey(
    t.app.db.kysely,
    { name: input.name ?? 'test', scopes: input.scopes ?? ['read'], rateLimit: 'rateLimit' in input ? input.rateLimit : UNLIMITED, monthlyQuota: 'monthlyQuota' in input ? input.monthlyQuota : UNLIMITED, expiresAt: input.expiresAt ?? null },
    t.app.clock.now(),
  );
  return key;
}

export async function createTestKeys(t: TestApp): Promise<TestKeys> {
  const read = await createTestKey(t, { name: 'test-read', scopes: ['read'] });
  const admin = await createTestKey(t, { name: 'test-admin', scopes: ['admin'] });
  return {
    read,
    admin,
    auth: (scope = 'read') => ({ authorization: `Bearer ${scope === 'admin' ? admin : read}`, 'content-type': 'application/json' }),
  };
}
