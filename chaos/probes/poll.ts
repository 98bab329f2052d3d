/** Reads until a condition holds or the time runs out: the one loop of the probes that wait. */

export const POLL_EVERY_MS = 250;

/**
 * The longest a single reading may take, so a stalled call cannot outlast the window for long.
 * A first reading is two calls in a row (a queue's URL, then its depth): under the tutorial's
 * 5 s latency on every AWS call it takes 10 s and a little more, and must not be cut short.
 */
export const READ_TIMEOUT_MS = 20_000;

export interface Polled<T> {
  /** The last successful reading; undefined when none succeeded. */
  value?: T;
  held: boolean;
  /** The last reading's error, when the last reading failed. */
  error?: unknown;
  readings: number;
}

/**
 * Calls `read` every `everyMs` until `holds(value)` or `withinMs` has passed since the start,
 * always at least once. A failed reading (a fault can hit the probe's own calls) is retried at
 * the next poll; `stop(value)` ends early when waiting cannot help.
 */
export async function pollUntil<T>(
  read: (signal: AbortSignal) => Promise<T>,
  holds: (value: T) => boolean,
  options: { withinMs: number; everyMs?: number; stop?: (value: T) => boolean },
): Promise<Polled<T>> {
  const until = Date.now() + options.withinMs;
  const everyMs = options.everyMs ?? POLL_EVERY_MS;
  const result: Polled<T> = { held: false, readings: 0 };
  for (;;) {
    const startedAt = Date.now();
    try {
      const value = await read(AbortSignal.timeout(READ_TIMEOUT_MS));
      result.value = value;
      result.error = undefined;
      result.readings += 1;
      if (holds(value)) return { ...result, held: true };
      if (options.stop?.(value)) return result;
    } catch (error) {
      result.error = error;
    }
    const wait = Math.min(everyMs - (Date.now() - startedAt), until - Date.now());
    if (Date.now() >= until) return result;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
