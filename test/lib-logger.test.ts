import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../src/lib/logger.ts';

test('text lines carry time, level, component, event and key=value fields', () => {
  const lines: string[] = [];
  const logger = createLogger({ write: (l) => lines.push(l), now: () => Date.UTC(2026, 0, 2, 3, 4, 5) }).child('probe');
  logger.info('probe_done', { target: 'openai/gpt-4o', latency_ms: 812, message: 'two words' });
  assert.equal(lines[0], '2026-01-02T03:04:05.000Z INFO  [probe] probe_done target=openai/gpt-4o latency_ms=812 message="two words"');
});

test('json format writes one parseable object per line', () => {
  const lines: string[] = [];
  const logger = createLogger({ format: 'json', write: (l) => lines.push(l), now: () => 0 }).child('http');
  logger.warn('slow', { ms: 12, error: new Error('boom') });
  assert.deepEqual(JSON.parse(lines[0]!), { time: '1970-01-01T00:00:00.000Z', level: 'warn', component: 'http', event: 'slow', ms: 12, error: 'boom' });
});

test('levels below the threshold are dropped', () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'warn', write: (l) => lines.push(l) });
  logger.info('hidden');
  logger.debug('hidden');
  logger.error('shown');
  assert.equal(lines.length, 1);
});

test('configured secrets are masked wherever they appear, in both formats', () => {
  for (const format of ['text', 'json'] as const) {
    const lines: string[] = [];
    const secret = 'sk-proj-abcdef123456';
    const logger = createLogger({ format, write: (l) => lines.push(l), secrets: () => [secret] });
    logger.error('provider_error', { body: `{"error":"invalid key ${secret}"}`, error: new Error(`auth failed for ${secret}`) });
    assert.ok(!lines[0]!.includes(secret), lines[0]);
    assert.match(lines[0]!, /\[redacted\]/);
  }
});
