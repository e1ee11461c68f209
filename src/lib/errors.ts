/**
 * The one error type CapPulse throws on purpose. `code` is matched (never the message), and
 * `http/errors.ts` maps each code to a status in one table.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limit_exceeded'
  | 'quota_exceeded'
  | 'invalid_config'
  | 'database_too_new'
  | 'internal_error';

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Extra fields safe to show a client (e.g. headers to set); never internal details. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options?.details;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
