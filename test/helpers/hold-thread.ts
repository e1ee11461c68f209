/**
 * Holds this thread for `ms`, as a long synchronous job would (a transaction, a cold metrics
 * query, a large page), or less if `until` says so first.
 */
export function holdThread(ms: number, until: () => boolean = () => false): void {
  const end = performance.now() + ms;
  while (!until() && performance.now() < end);
}
