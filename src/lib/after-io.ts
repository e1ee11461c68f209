/**
 * Work that must not delay anyone's timestamp: parsing a probe's answer, storing its result.
 *
 * A probe is timed when its bytes are read (src/probe/run.ts), and reads are handled one after
 * another on this thread: whatever runs in between (another probe's parsing, a transaction) is
 * added to the next answer's measured latency. setImmediate alone is not enough: every callback
 * queued during a turn runs back to back in that turn's check phase, so 500 results stored at
 * once delay every answer that arrives meanwhile by all 500 transactions. Here jobs run one per
 * turn of the event loop, in queue order, and the loop polls for I/O between any two of them: an
 * answer waits for at most one job, however long the queue (scripts/bench/prober.ts, BENCHMARKS.md).
 *
 * One queue per thread, as there is one event loop per thread. A job's promise continuations run
 * right after it, in the same turn (Node drains microtasks after each immediate), so
 * `await nextIoTurn()` followed by synchronous work is one job.
 */
let queue: Array<() => void> = [];
let head = 0;
let scheduled = false;

function runOne(): void {
  const job = queue[head]!;
  queue[head] = undefined as never;
  head += 1;
  if (head === queue.length) {
    queue = [];
    head = 0;
    scheduled = false;
  } else {
    setImmediate(runOne);
  }
  job();
}

/** Runs `job` in a later turn of the event loop, after the I/O of the turns before it. */
export function afterIo(job: () => void): void {
  queue.push(job);
  if (!scheduled) {
    scheduled = true;
    setImmediate(runOne);
  }
}

/** Resolves in a later turn, after the answers that already arrived have been read and timed. */
export function nextIoTurn(): Promise<void> {
  return new Promise<void>((resolve) => afterIo(resolve));
}
