import type { ResolvedTarget } from '../../config/targets.ts';
import type { BodyReader, ProbeAdapter } from '../adapter.ts';
import { shorten, type Failure } from '../classify.ts';

/** Liveness of any URL: the expected status and, optionally, a substring of the body. */
const BODY_KEPT = 65_536;

function check(target: ResolvedTarget) {
  return target.provider.http ?? { method: 'GET' as const, expect_status: 200, expect_body: undefined, body: undefined };
}

function bodyReader(expected: string | undefined): BodyReader {
  let body = '';
  return {
    firstTokenAt: null,
    failure: null,
    feed(text) {
      if (body.length < BODY_KEPT) body += text.slice(0, BODY_KEPT - body.length);
    },
    finish() {
      const failure: Failure | null =
        expected !== undefined && !body.includes(expected)
          ? { errorClass: 'bad_response', message: shorten(`body does not contain the expected text (${JSON.stringify(expected)})`) }
          : null;
      return { failure, outputTokens: null, responseId: null };
    },
  };
}

export const httpAdapter: ProbeAdapter = {
  measuresTokens: false,
  buildRequest(target) {
    const spec = check(target);
    const headers: Record<string, string> = { ...target.provider.headers };
    if (target.provider.api_key !== undefined) headers.authorization ??= `Bearer ${target.provider.api_key}`;
    return { method: spec.method, url: target.provider.base_url, headers, ...(spec.body === undefined ? {} : { body: spec.body }) };
  },
  isExpectedStatus: (status, target) => status === check(target).expect_status,
  createReader: (target) => bodyReader(check(target).expect_body),
};
