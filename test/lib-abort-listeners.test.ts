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

test('listeners are forgotten from anywhere in the list, and called oldest first', () => {
  const controller = new AbortController();
  const calls: number[] = [];
  const forget = Array.from({ length: 6 }, (_, i) => whenAborted(controller.signal, () => calls.push(i)));
  // The newest, the oldest and one in the middle; twice each, which changes nothing.
  for (const i of [5, 0, 2, 5, 0]) forget[i]!();
  controller.abort();
  assert.deepEqual(calls, [1, 3, 4]);
  forget[1]!(); // after the abort: nothing left to forget, nothing thrown
});

test('a listener that forgets another while the abort runs keeps it from being called', () => {
  const controller = new AbortController();
  const calls: string[] = [];
  let forgetLater = () => {};
  whenAborted(controller.signal, () => {
    calls.push('first');
    forgetLater();
  });
  forgetLater = whenAborted(controller.signal, () => calls.push('later'));
  whenAborted(controller.signal, () => calls.push('last'));
  controller.abort();
  assert.deepEqual(calls, ['first', 'last']);
});
