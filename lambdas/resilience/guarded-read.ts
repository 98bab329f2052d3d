/**
 * One store read through the circuit breaker, as the product API's GET makes it: the breaker
 * learns from every answer, and the caller gets one outcome to act on. The same bookkeeping as
 * guarded-put.ts, without the condition a write has.
 */
import type { CircuitBreaker } from '#resilience/breaker';
import { unavailability } from '#resilience/failures';
import { ValidationError } from '#domain/errors';
import { StoreRejected } from '#domain/product-store';

export type ReadOutcome<T> =
  | { kind: 'read'; value: T }
  /**
   * The store refused a read that passed our validation (`error`: its own error). It answered, so
   * this is no sign of an outage; it is still no answer the client can use.
   */
  | { kind: 'rejected'; error: unknown }
  /** The store is unavailable, or the open breaker kept the call from being made (`error` undefined). */
  | { kind: 'unavailable'; error?: unknown };

/**
 * Runs `read` if the breaker allows it. A ValidationError from `read` (input it checks before it
 * calls the store) is thrown on, for the caller to answer; it says nothing against the store.
 */
export async function guardedRead<T>(breaker: CircuitBreaker, read: () => Promise<T>): Promise<ReadOutcome<T>> {
  if (!breaker.allows()) return { kind: 'unavailable' };
  try {
    const value = await read();
    breaker.success();
    return { kind: 'read', value };
  } catch (error) {
    if (error instanceof ValidationError) {
      // The breaker let this call through, perhaps as its one probe: release it. The store is not to blame.
      breaker.success();
      throw error;
    }
    // The store refusing one read is no outage; only unavailability counts towards the breaker.
    if (error instanceof StoreRejected) {
      breaker.success();
      return { kind: 'rejected', error: error.cause };
    }
    breaker.failure();
    return { kind: 'unavailable', error: unavailability(error).error };
  }
}
