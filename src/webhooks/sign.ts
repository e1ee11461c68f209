import { createHmac, randomBytes } from 'node:crypto';

/**
 * Both signature schemes, pure functions of (secret, body, id, time). Two schemes because
 * receivers come in two kinds: GitHub-style checkers (`X-CapPulse-Signature`, HMAC keyed by the
 * whole secret string) and Standard Webhooks libraries (`webhook-signature`, HMAC keyed by the
 * base64-decoded part of `whsec_…` over `id.timestamp.body`).
 */
export const SECRET_PREFIX = 'whsec_';

/** 24 random bytes, as Standard Webhooks libraries generate them. */
export function generateSecret(random: (n: number) => Buffer = randomBytes): string {
  return `${SECRET_PREFIX}${random(24).toString('base64')}`;
}

/** The HMAC key of a Standard Webhooks secret: the base64 after the prefix. */
export function standardKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  return Buffer.from(encoded, 'base64');
}

/** `sha256=<lowercase hex>` keyed by the whole secret string, prefix included. */
export function capPulseSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** One `v1,<base64>` signature over `${id}.${timestampSeconds}.${body}`. */
export function standardSignature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', standardKey(secret)).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
  'x-cappulse-signature': string;
  /** Present during a rotation: the same HMAC keyed by the previous secret. */
  'x-cappulse-signature-previous'?: string;
}

/**
 * Signature headers for one attempt. During a rotation `secrets` holds the new secret first and
 * the old one second: a receiver holding either verifies, which is what makes the grace period
 * safe to roll out on the receiver's own schedule.
 */
export function signatureHeaders(secrets: readonly string[], eventId: string, nowMs: number, body: string): SignedHeaders {
  const [current, ...previous] = secrets;
  if (current === undefined) throw new Error('signatureHeaders needs at least one secret');
  const timestamp = Math.floor(nowMs / 1000);
  const headers: SignedHeaders = {
    'webhook-id': eventId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((secret) => standardSignature(secret, eventId, timestamp, body)).join(' '),
    'x-cappulse-signature': capPulseSignature(current, body),
  };
  if (previous[0] !== undefined) headers['x-cappulse-signature-previous'] = capPulseSignature(previous[0], body);
  return headers;
}
