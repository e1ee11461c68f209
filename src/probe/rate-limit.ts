import type { RateLimitSnapshot } from './types.ts';

/**
 * Rate-limit headers of every provider family folded into one snapshot (DESIGN.md §4). Pure.
 * Resets become absolute epoch milliseconds so a snapshot read later still means something.
 * A value that makes no sense (negative, unparsable, Azure's `-1`) becomes null, never NaN.
 */
export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

function count(text: string | undefined): number | null {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations as OpenAI, Groq and Together send them: `1s`, `6m0s`, `250ms`, `2h3m4.5s`; a bare number is seconds. */
export function parseResetDuration(text: string): number | null {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (!/^(\d+(\.\d+)?(ms|h|m|s))+$/.test(text)) return null;
  let total = 0;
  for (const match of text.matchAll(DURATION_PART)) total += Number(match[1]) * DURATION_UNITS[match[2]!]!;
  return Number.isFinite(total) ? total : null;
}

function instant(text: string | undefined): number | null {
  if (text === undefined) return null;
  const at = Date.parse(text);
  return Number.isFinite(at) ? at : null;
}

/** `retry-after` is seconds or an HTTP date; `retry-after-ms` (Azure) is milliseconds. */
function retryAfter(headers: HeaderBag, now: number): number | null {
  const ms = count(header(headers, 'retry-after-ms'));
  if (ms !== null) return ms;
  const text = header(headers, 'retry-after');
  if (text === undefined) return null;
  const seconds = count(text);
  if (seconds !== null) return seconds * 1000;
  const at = instant(text);
  return at === null ? null : Math.max(0, at - now);
}

/** Header names of one family and unit, built once: this runs after every probe. */
interface Names {
  limit: string;
  remaining: string;
  reset: string;
}
const openaiNames = (unit: string): Names => ({ limit: `x-ratelimit-limit-${unit}`, remaining: `x-ratelimit-remaining-${unit}`, reset: `x-ratelimit-reset-${unit}` });
const anthropicNames = (unit: string): Names => ({ limit: `anthropic-ratelimit-${unit}-limit`, remaining: `anthropic-ratelimit-${unit}-remaining`, reset: `anthropic-ratelimit-${unit}-reset` });
const OPENAI = { requests: openaiNames('requests'), tokens: openaiNames('tokens') };
const ANTHROPIC = { requests: anthropicNames('requests'), tokens: anthropicNames('tokens'), inputTokens: anthropicNames('input-tokens') };

function openaiStyle(headers: HeaderBag, now: number, names: Names) {
  const reset = header(headers, names.reset);
  const resetMs = reset === undefined ? null : parseResetDuration(reset);
  return {
    limit: count(header(headers, names.limit)),
    remaining: count(header(headers, names.remaining)),
    resetAt: resetMs === null ? null : now + resetMs,
  };
}

/** Anthropic splits tokens into input and output; the combined `tokens` family wins when sent. */
function anthropicStyle(headers: HeaderBag, names: Names) {
  return {
    limit: count(header(headers, names.limit)),
    remaining: count(header(headers, names.remaining)),
    resetAt: instant(header(headers, names.reset)),
  };
}

type Part = { limit: number | null; remaining: number | null; resetAt: number | null };
const empty = (part: Part) => part.limit === null && part.remaining === null && part.resetAt === null;
const pick = (...parts: Part[]): Part => parts.find((part) => !empty(part)) ?? parts[0]!;

export function parseRateLimit(headers: HeaderBag, now: number): RateLimitSnapshot | null {
  const requests = pick(openaiStyle(headers, now, OPENAI.requests), anthropicStyle(headers, ANTHROPIC.requests));
  const tokens = pick(openaiStyle(headers, now, OPENAI.tokens), anthropicStyle(headers, ANTHROPIC.tokens), anthropicStyle(headers, ANTHROPIC.inputTokens));
  const retry = retryAfter(headers, now);
  if (empty(requests) && empty(tokens) && retry === null) return null;
  return {
    requests_limit: requests.limit,
    requests_remaining: requests.remaining,
    requests_reset_at: requests.resetAt,
    tokens_limit: tokens.limit,
    tokens_remaining: tokens.remaining,
    tokens_reset_at: tokens.resetAt,
    retry_after_ms: retry,
  };
}
