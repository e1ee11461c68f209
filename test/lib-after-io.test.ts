import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { afterIo, nextIoTurn } from '../src/lib/after-io.ts';
import { holdThread } from './helpers/hold-thread.ts';

test('jobs run in the order they were queued, each with its promise continuations before the next', async () => {
  const order: string[] = [];
  afterIo(() => order.push('first'));
  const awaited = nextIoTurn().then(() => order.push('after the second turn'));
  afterIo(() => order.push('third'));
  await awaited;
  await nextIoTurn();
  assert.deepEqual(order, ['first', 'after the second turn', 'third']);
});

test('an answer that arrives while jobs are queued is read before the queue is done', async () => {
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    let ran = 0;
    let readAfter: number | null = null;
    const answered = new Promise<void>((resolve) => {
      http.get({ host: '127.0.0.1', port, agent: false }, (res) => {
        readAfter = ran;
        res.resume().on('end', resolve);
      });
    });
    // Queued in one turn: with setImmediate alone all of them would run before the answer is
    // read (and at 2 ms each, for four seconds). Jobs stop holding the thread once it is read.
    const JOBS = 2000;
    for (let i = 0; i < JOBS; i += 1) {
      afterIo(() => {
        ran += 1;
        holdThread(2, () => readAfter !== null);
      });
    }
    await answered;
    assert.ok(readAfter !== null && readAfter < JOBS, `the answer was read after ${readAfter} of ${JOBS} jobs`);
    while (ran < JOBS) await nextIoTurn();
  } finally {
    server.close();
  }
});
