import assert from 'node:assert/strict';
import { test } from 'node:test';
import { whenAborted } from '../src/lib/abort-listeners.ts';

test('whenAborted calls what is still registered, once, and nothing it was told to forget', () => {
  const controller = new AbortController();
  const calls: string[] = [];
  whenAborted(controller.signal, () => calls.push('kept'));
  const forget = whenAborted(controller.signal, () => calls.push('forgotten'));
  forget();
  controller.abort();
  controller.abort();
  assert.deepEqual(calls, ['kept']);
});

test('each signal keeps its own listeners', () => {
  const a = new AbortController();
  const b = new AbortController();
  const calls: string[] = [];
  whenAborted(a.signal, () => calls.push('a'));
  whenAborted(b.signal, () => calls.push('b'));
  b.abort();
  assert.deepEqual(calls, ['b']);
});
