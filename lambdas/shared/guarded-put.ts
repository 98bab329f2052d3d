/**
 * One conditional write through the circuit breaker, as both write paths make it (the product
 * Lambda's direct write and the retry Lambda's queued one): the breaker learns from every answer,
 * and the caller gets one outcome to act on.
 */
import type { CircuitBreaker } from './breaker';
import { classify, describeError } from './errors';
import type { ProductWrite } from './product';
import type { ProductStore } from './store';

export type PutOutcome =
  | { kind: 'stored' }
  /** The table already holds a newer write for this id. */
  | { kind: 'stale' }
  /** DynamoDB blames the request: it will never succeed. */
  | { kind: 'rejected'; message: string }
  /** DynamoDB is unavailable, or the open breaker kept the call from being made (`error` undefined). */
  | { kind: 'unavailable'; error?: unknown };

export async function guardedPut(store: ProductStore, breaker: CircuitBreaker, write: ProductWrite, signal: () => AbortSignal): Promise<PutOutcome> {
  if (!breaker.allows()) return { kind: 'unavailable' };
  try {
    await store.put(write, signal());
    breaker.success();
    return { kind: 'stored' };
  } catch (error) {
    const failure = classify(error);
    if (failure === 'unavailable') {
      breaker.failure();
      return { kind: 'unavailable', error };
    }
    breaker.success(); // DynamoDB answered, so it is up.
    return failure === 'stale' ? { kind: 'stale' } : { kind: 'rejected', message: describeError(error).message };
  }
}
