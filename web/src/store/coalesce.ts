/**
 * Coalesced refreshes: at most one run in flight per key; requests made while it runs
 * become a single trailing run after it, so a burst of changes costs two fetches, not one
 * per change, and the last run starts after the last change it was asked for.
 */
export type Refresh<K> = (key: K) => Promise<void>;

/** `run` must not throw: it records its own failures. */
export function coalesced<K>(run: (key: K) => Promise<void>): Refresh<K> {
  const inFlight = new Map<K, Promise<void>>();
  const again = new Set<K>();
  return (key) => {
    const current = inFlight.get(key);
    if (current) {
      again.add(key);
      return current;
    }
    const loop = (async () => {
      do {
        again.delete(key);
        await run(key);
      } while (again.has(key));
    })().finally(() => inFlight.delete(key));
    inFlight.set(key, loop);
    return loop;
  };
}
