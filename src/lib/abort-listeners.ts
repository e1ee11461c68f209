/**
 * `fn` runs once when `signal` aborts; the returned function forgets it. For a signal shared by
 * many operations at once (the scheduler passes one to every probe in flight): Node's
 * EventTarget looks through all of a signal's listeners on every add and remove, so with
 * hundreds of probes in flight one listener each cost more than the probe's own parsing
 * (scripts/bench/prober.ts, BENCHMARKS.md). Here each signal has one listener and a list.
 * The caller checks `signal.aborted` first: an already aborted signal fires nothing.
 *
 * A linked list, not a Set: the registry lives as long as the signal (in the old generation),
 * and a Set with an entry added and deleted per probe is rehashed every so often, leaving its
 * previous table behind, still pointing at the probes it held. Young-generation collections
 * take pointers from old objects as live, so a left-behind table can keep finished probes (their
 * requests, sockets, parsers, answers) to be copied and promoted instead of dropped. Replacing
 * this Set and the scheduler's cut the prober's collection pauses from 6.1 to 3.5 ms, those of
 * the bare node:http loop it is compared with (BENCHMARKS.md, prober). A forgotten node here
 * clears its own links, so nothing old keeps a finished probe.
 */
interface Listener {
  fn: (() => void) | null;
  prev: Listener | null;
  next: Listener | null;
}

interface Registry {
  head: Listener | null;
}

const registries = new WeakMap<AbortSignal, Registry>();

function fire(registry: Registry): void {
  const nodes: Listener[] = [];
  for (let node = registry.head; node !== null; node = node.next) nodes.push(node);
  registry.head = null;
  for (const node of nodes) node.prev = node.next = null;
  // Oldest first; one forgotten by an earlier listener (while this loop runs) is skipped.
  for (let i = nodes.length - 1; i >= 0; i -= 1) {
    const node = nodes[i]!;
    const { fn } = node;
    node.fn = null;
    fn?.();
  }
}

export function whenAborted(signal: AbortSignal, fn: () => void): () => void {
  let registry = registries.get(signal);
  if (registry === undefined) {
    const created: Registry = { head: null };
    registries.set(signal, (registry = created));
    signal.addEventListener('abort', () => fire(created), { once: true });
  }
  const owner = registry;
  const node: Listener = { fn, prev: null, next: owner.head };
  if (owner.head !== null) owner.head.prev = node;
  owner.head = node;
  return () => {
    if (node.fn === null) return;
    if (node.prev !== null) node.prev.next = node.next;
    else owner.head = node.next;
    if (node.next !== null) node.next.prev = node.prev;
    node.fn = node.prev = node.next = null;
  };
}
