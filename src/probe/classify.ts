import type { ErrorClass } from './types.ts';

/**
 * Error classification (DESIGN.md §4). Pure. The error body decides first, because the status
 * alone lies: a 429 can be a rate limit, an empty account or (Anthropic) an overload. Then:
 *
 * | status                     | class          |
 * |----------------------------|----------------|
 * | 408, 504                   | timeout        |
 * | 529; 503 saying overloaded | overloaded     |
 * | other 5xx                  | server_error   |
 * | 429                        | rate_limited   |
 * | 402                        | quota_exceeded |
 * | 401, 403                   | auth_error     |
 * | other 4xx, 3xx (redirect)  | client_error   |
 * | 1xx, 2xx not expected      | bad_response   |
 */
export interface Failure {
  errorClass: ErrorClass;
  message: string;
}

/** Error `type` / `code` / `status` values from OpenAI, Anthropic, Gemini and the compatibles. */
const BODY_CODES: Readonly<Record<string, ErrorClass>> = {
  insufficient_quota: 'quota_exceeded',
  billing_error: 'quota_exceeded',
  billing_hard_limit_reached: 'quota_exceeded',
  enforced_spend_limit_reached: 'quota_exceeded',
  insufficient_balance: 'quota_exceeded',
  payment_required: 'quota_exceeded',
  overloaded_error: 'overloaded',
  overloaded: 'overloaded',
  engine_overloaded: 'overloaded',
  rate_limit_error: 'rate_limited',
  rate_limit_exceeded: 'rate_limited',
  slow_down: 'rate_limited',
  RESOURCE_EXHAUSTED: 'rate_limited',
  authentication_error: 'auth_error',
  invalid_api_key: 'auth_error',
  permission_error: 'auth_error',
  PERMISSION_DENIED: 'auth_error',
  UNAUTHENTICATED: 'auth_error',
  timeout_error: 'timeout',
  DEADLINE_EXCEEDED: 'timeout',
  not_found_error: 'client_error',
  model_not_found: 'client_error',
  NOT_FOUND: 'client_error',
  INVALID_ARGUMENT: 'client_error',
  FAILED_PRECONDITION: 'client_error',
  request_too_large: 'client_error',
  api_error: 'server_error',
  server_error: 'server_error',
  INTERNAL: 'server_error',
  UNAVAILABLE: 'overloaded',
};

/**
 * Words in a message that override a generic code: Anthropic's spend limit is a 400
 * invalid_request_error, OpenAI's overload a 503 `server_error` saying "overloaded".
 */
const MESSAGE_HINTS: ReadonlyArray<readonly [RegExp, ErrorClass]> = [
  [/spend(ing)? limit|usage limits?|credit balance|insufficient (balance|credits?|funds)|out of credits/i, 'quota_exceeded'],
  [/overloaded|over capacity/i, 'overloaded'],
];

export interface ErrorBody {
  codes: string[];
  message: string | null;
  /** Gemini names the exhausted quota; a per-day quota is spent for the day, not throttled. */
  quotaIds: string[];
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Reads `{error: {type, code, status, message}}` (or a bare `{type, message}`) from parsed JSON. */
export function readErrorObject(json: unknown): ErrorBody | null {
  if (json === null || typeof json !== 'object') return null;
  const root = json as Record<string, unknown>;
  const inner = root.error;
  const error = (inner !== null && typeof inner === 'object' ? inner : typeof inner === 'string' ? { message: inner } : root) as Record<string, unknown>;
  const codes = [error.type, error.code, error.status].map(text).filter((c): c is string => c !== null && c !== 'error');
  const quotaIds: string[] = [];
  for (const detail of Array.isArray(error.details) ? error.details : []) {
    for (const violation of Array.isArray(detail?.violations) ? detail.violations : []) {
      const id = text(violation?.quotaId);
      if (id) quotaIds.push(id);
    }
  }
  const message = text(error.message);
  if (codes.length === 0 && message === null) return null;
  return { codes, message, quotaIds };
}

export function parseErrorBody(body: string): ErrorBody | null {
  try {
    const json = JSON.parse(body) as unknown;
    return readErrorObject(Array.isArray(json) ? json[0] : json);
  } catch {
    return null;
  }
}

export function classifyBody(error: ErrorBody): ErrorClass | null {
  for (const [pattern, errorClass] of MESSAGE_HINTS) if (error.message && pattern.test(error.message)) return errorClass;
  for (const code of error.codes) {
    const found = BODY_CODES[code];
    if (found === 'rate_limited' && error.quotaIds.some((id) => /PerDay/i.test(id))) return 'quota_exceeded';
    if (found) return found;
  }
  return null;
}

export function classifyStatus(status: number, message: string | null = null): ErrorClass {
  if (status === 408 || status === 504) return 'timeout';
  if (status === 529) return 'overloaded';
  if (status === 503 && message !== null && /overload|capacity/i.test(message)) return 'overloaded';
  if (status >= 500) return 'server_error';
  if (status === 429) return 'rate_limited';
  if (status === 402) return 'quota_exceeded';
  if (status === 401 || status === 403) return 'auth_error';
  if (status >= 300) return 'client_error';
  return 'bad_response';
}

export const MAX_MESSAGE = 200;

export function shorten(message: string): string {
  const flat = message.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE - 1)}…` : flat;
}

/** A response whose status says it failed: class from the body first, then the status. */
export function classifyHttpFailure(status: number, body: string): Failure {
  const error = parseErrorBody(body);
  const errorClass = (error && classifyBody(error)) ?? classifyStatus(status, error?.message ?? body);
  const detail = error ? [error.codes[0], error.message].filter(Boolean).join(': ') : body.replace(/<[^>]*>/g, ' ');
  return { errorClass, message: shorten(`HTTP ${status}${detail.trim() ? ` ${detail}` : ''}`) };
}

/** An error reported inside a 200 stream: its body decides, else it is a bad response. */
export function classifyStreamError(json: unknown): Failure {
  const error = readErrorObject(json);
  const numeric = json !== null && typeof json === 'object' ? Number(((json as { error?: { code?: unknown } }).error ?? {}).code) : Number.NaN;
  const errorClass = (error && classifyBody(error)) ?? (numeric >= 400 && numeric < 600 ? classifyStatus(numeric, error?.message ?? null) : 'bad_response');
  const detail = error ? [error.codes[0], error.message].filter(Boolean).join(': ') : 'error event';
  return { errorClass, message: shorten(`error in stream: ${detail}`) };
}

const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed while sending',
  ETIMEDOUT: 'connection timed out',
};

/** Socket, DNS and TLS errors. The message names the code only: Node's text can carry the URL. */
export function classifyNetworkError(error: unknown): Failure {
  const code = (error as { code?: unknown })?.code;
  const name = typeof code === 'string' ? code : 'unknown';
  const what = NETWORK_CODES[name] ?? (/CERT|TLS|SSL|EPROTO/.test(name) ? 'TLS failure' : 'network error');
  return { errorClass: 'network', message: `${what} (${name})` };
}
