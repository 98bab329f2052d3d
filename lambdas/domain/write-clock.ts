/**
 * A clock for updatedAt that never runs backwards or repeats within one Lambda instance, so two
 * writes accepted by the same instance in the same millisecond still have a clear order.
 */
export function createWriteClock(now: () => number = Date.now): () => number {
  let last = 0;
  return () => {
    last = Math.max(now(), last + 1);
    return last;
  };
}
