/**
 * The global cap on probes in flight: a counting semaphore whose limit is read at every request
 * (a reload may change it). close() turns away everyone still waiting, so stop() never starts a
 * probe it would then have to wait for.
 */
export interface Slots {
  /** Resolves true with a slot held, or false when closed. */
  acquire(): Promise<boolean>;
  release(): void;
  /** Hands out slots a raised limit has freed (after a reload). */
  refresh(): void;
  close(): void;
}

export function createSlots(limit: () => number): Slots {
  let active = 0;
  let closed = false;
  const waiting: Array<(granted: boolean) => void> = [];

  const pump = () => {
    while (waiting.length > 0 && active < limit()) {
      active += 1;
      waiting.shift()!(true);
    }
  };

  return {
    acquire() {
      if (closed) return Promise.resolve(false);
      if (active < limit() && waiting.length === 0) {
        active += 1;
        return Promise.resolve(true);
      }
      return new Promise<boolean>((resolve) => waiting.push(resolve));
    },
    release() {
      active -= 1;
      if (!closed) pump();
    },
    refresh() {
      if (!closed) pump();
    },
    close() {
      closed = true;
      for (const resolve of waiting.splice(0)) resolve(false);
    },
  };
}
