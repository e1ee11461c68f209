import { HTTPError, type H3Event } from 'h3';
import { AppError, isAppError, type ErrorCode } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { accessHeadersOf } from './api-response.ts';

/** The one table from error code to HTTP status. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  rate_limit_exceeded: 429,
  quota_exceeded: 429,
  invalid_config: 500,
  database_too_new: 500,
  internal_error: 500,
};

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'invalid_request',
  429: 'rate_limit_exceeded',
};

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  request_id: string;
}

/**
 * Turns anything thrown into `{error, message, request_id}`. Only an AppError or an h3 error that
 * h3 itself raised for a client mistake (bad URL, 404 route) may shape the message: an unknown
 * error's text can hold SQL, paths or secrets, so it is logged and replaced.
 */
export function toErrorResponse(error: HTTPError | AppError, event: H3Event, requestId: string, logger: Logger): Response {
  const cause = error.cause;
  let status: number;
  let body: ErrorBody;
  const headers = new Headers(event.res.headers);
  headers.set('content-type', 'application/json; charset=utf-8');
  headers.set('x-request-id', requestId);
  // The rate-limit headers, when the guard got as far as deciding them (a 403 or 429 has them).
  for (const [name, value] of accessHeadersOf(event)) headers.set(name, value);

  if (isAppError(cause) || isAppError(error)) {
    const app = (isAppError(cause) ? cause : error) as unknown as AppError;
    status = STATUS_BY_CODE[app.code];
    body = { error: app.code, message: app.message, request_id: requestId };
    const extra = app.details?.headers as Record<string, string> | undefined;
    for (const [name, value] of Object.entries(extra ?? {})) headers.set(name, value);
    if (status >= 500) logger.error('request_failed', { request_id: requestId, code: app.code, error: app.message });
  } else if (!error.unhandled && error.status >= 400 && error.status < 500) {
    status = error.status;
    const code = CODE_BY_STATUS[status] ?? 'invalid_request';
    const message = status === 404 ? `no route matches ${event.req.method} ${new URL(event.req.url).pathname}` : error.message || code;
    body = { error: code, message, request_id: requestId };
    if (status === 405) {
      const allow = (error.headers as Headers | undefined)?.get?.('allow');
      if (allow) headers.set('allow', allow);
    }
  } else {
    status = 500;
    body = { error: 'internal_error', message: 'an unexpected error occurred; the server log has details under this request id', request_id: requestId };
    logger.error('request_crashed', { request_id: requestId, error: cause instanceof Error ? cause.message : error.message, stack: cause instanceof Error ? cause.stack?.split('\n').slice(0, 4).join(' | ') : undefined });
  }
  return new Response(JSON.stringify(body), { status, headers });
}

export function notFound(what: string): AppError {
  return new AppError('not_found', what);
}
