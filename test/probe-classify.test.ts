import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyHttpFailure, classifyNetworkError, classifyStatus, classifyStreamError } from '../src/probe/classify.ts';
import type { ErrorClass } from '../src/probe/types.ts';

test('status alone, when the body says nothing', () => {
  const cases: Array<[number, ErrorClass]> = [
    [408, 'timeout'], [504, 'timeout'], [529, 'overloaded'], [503, 'server_error'], [500, 'server_error'], [502, 'server_error'],
    [429, 'rate_limited'], [402, 'quota_exceeded'], [401, 'auth_error'], [403, 'auth_error'], [404, 'client_error'], [400, 'client_error'],
    [413, 'client_error'], [301, 'client_error'], [200, 'bad_response'],
  ];
  for (const [status, expected] of cases) assert.equal(classifyStatus(status), expected, String(status));
});

test('the body decides before the status', () => {
  const cases: Array<[number, unknown, ErrorClass]> = [
    [429, { error: { type: 'insufficient_quota', code: 'insufficient_quota', message: 'You exceeded your current quota' } }, 'quota_exceeded'],
    [429, { error: { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached' } }, 'rate_limited'],
    [429, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'overloaded'],
    [400, { type: 'error', error: { type: 'invalid_request_error', message: 'You have reached your specified API usage limits' } }, 'quota_exceeded'],
    [400, { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } }, 'client_error'],
    [400, { type: 'error', error: { type: 'invalid_request_error', message: 'Your credit balance is too low' } }, 'quota_exceeded'],
    [402, { type: 'error', error: { type: 'billing_error', message: 'billing' } }, 'quota_exceeded'],
    [504, { type: 'error', error: { type: 'timeout_error', message: 'timeout' } }, 'timeout'],
    [500, { type: 'error', error: { type: 'api_error', message: 'Internal' } }, 'server_error'],
    [503, { error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } }, 'overloaded'],
    [400, { error: { code: 400, message: 'API key not valid', status: 'INVALID_ARGUMENT' } }, 'client_error'],
    [403, { error: { code: 403, message: 'denied', status: 'PERMISSION_DENIED' } }, 'auth_error'],
    [504, [{ error: { code: 504, message: 'deadline', status: 'DEADLINE_EXCEEDED' } }], 'timeout'],
  ];
  for (const [status, body, expected] of cases) assert.equal(classifyHttpFailure(status, JSON.stringify(body)).errorClass, expected, JSON.stringify(body));
});

test('messages are short and name the code', () => {
  const failure = classifyHttpFailure(404, JSON.stringify({ error: { message: 'The model `x` does not exist', type: 'invalid_request_error', code: 'model_not_found' } }));
  assert.equal(failure.message, 'HTTP 404 invalid_request_error: The model `x` does not exist');
  assert.ok(classifyHttpFailure(500, 'x'.repeat(5000)).message.length <= 200);
  assert.equal(classifyHttpFailure(502, '<html><h1>Bad Gateway</h1></html>').message, 'HTTP 502 Bad Gateway');
});

test('errors inside a 200 stream', () => {
  assert.equal(classifyStreamError({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }).errorClass, 'overloaded');
  assert.equal(classifyStreamError({ error: { message: 'Provider returned error', code: 502 } }).errorClass, 'server_error');
  assert.equal(classifyStreamError({ error: { message: 'something' } }).errorClass, 'bad_response');
});

test('network errors name the code, not the URL', () => {
  const cases: Array<[string, RegExp]> = [['ECONNREFUSED', /refused/], ['ECONNRESET', /reset/], ['ENOTFOUND', /not found/], ['CERT_HAS_EXPIRED', /TLS/], ['ERR_TLS_CERT_ALTNAME_INVALID', /TLS/]];
  for (const [code, message] of cases) {
    const failure = classifyNetworkError(Object.assign(new Error(`connect ${code} https://user:pw@host/`), { code }));
    assert.equal(failure.errorClass, 'network');
    assert.match(failure.message, message);
    assert.doesNotMatch(failure.message, /pw@/);
  }
});
