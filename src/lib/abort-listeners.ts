/**
 * `fn` runs once when `signal` aborts; the returned function forgets it. For a signal shared by
 * many operations at once (the scheduler passes one to every probe in flight): Node's
 * EventTarget looks through all of a signal's listeners on every add and remove, so with
 * hundreds of probes in flight one listener each cost more than the probe's own parsing
 * (scripts/bench/prober.ts, BENCHMARKS.md). Here each signal has one listener and a Set.
 * The caller checks `signal.aborted` first: an already aborted signal fires nothing.
 */
const registries = new WeakMap<AbortSignal, Set<() => void>>();

export function whenAborted(signal: AbortSignal, fn: () => void): () => void {
  let registry = registries.get(signal);
  if (registry === undefined) {
    const created = new Set<() => void>();
    registries.set(signal, (registry = created));
    signal.addEventListener(
      'abort',
      () => {
        for (const listener of created) listener();
        created.clear();
      },
      { once: true },
    );
  }
  registry.add(fn);
  const forget = registry;
  return () => void forget.delete(fn);
}
