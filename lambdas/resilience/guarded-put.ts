/**
 * One conditional write through the circuit breaker, as both write paths make it (the product
 * Lambda's direct write and the retry Lambda's queued one): the breaker learns from every answer,
 * and the caller gets one outcome to act on.
 */
import type { CircuitBreaker } from '#resilience/breaker';
import { describeError, unavailability } from '#resilience/failures';
import { isAtLeastAsNew, type StoredVersion } from '#domain/ordering';
import type { ProductWrite } from '#domain/product';
import { type ProductStore, StoreRejected, WriteNotNewer } from '#domain/product-store';

export type PutOutcome =
  | { kind: 'stored' }
  /** The table holds a write at least as new as this one (`stored`; possibly this very write): nothing to do. */
  | { kind: 'stale'; stored: StoredVersion }
  /**
   * The store refused a write that passed our validation (DynamoDB's ValidationException and the
   * like). The request is not the client's fault, and on AWS it would not succeed as sent; but a
   * fault can inject these errors too, so the write is worth keeping.
   */
  | { kind: 'rejected'; message: string }
  /**
   * The store is unavailable, or the open breaker kept the call from being made (`error`
   * undefined; otherwise the store's own error). `mayHaveLanded`: an attempt timed out or was
   * aborted, so the write may still take effect after this answer (it is false when every attempt
   * was answered with a failure).
   */
  | { kind: 'unavailable'; error?: unknown; mayHaveLanded: boolean };

export async function guardedPut(store: ProductStore, breaker: CircuitBreaker, write: ProductWrite, signal: () => AbortSignal): Promise<PutOutcome> {
  if (!breaker.allows()) return { kind: 'unavailable', mayHaveLanded: false };
  // One horizon for the condition and for confirming its failure, so the two judge alike.
  const horizon = store.horizon();
  try {
    await store.put(write, horizon, signal());
    breaker.success();
    return { kind: 'stored' };
  } catch (error) {
    if (error instanceof WriteNotNewer) return confirmStale(store, breaker, write, horizon, signal, error);
    if (error instanceof StoreRejected) {
      // The store answered: no sign of an outage, and counting it as one would open the breaker
      // and divert every other write to the queue because of one refused request.
      breaker.success();
      return { kind: 'rejected', message: describeError(error.cause).message };
    }
    breaker.failure();
    return { kind: 'unavailable', ...unavailability(error) };
  }
}

/**
 * A failed condition means "stale" only when the table really holds a write at least as new: the
 * version the store returned with the failure shows it, or else a consistent read. Anything that
 * does not prove it (an injected fault, a read that fails) leaves the write unapplied, so it is
 * 'unavailable': the caller queues it or retries it later.
 */
async function confirmStale(
  store: ProductStore,
  breaker: CircuitBreaker,
  write: ProductWrite,
  horizon: number,
  signal: () => AbortSignal,
  notNewer: WriteNotNewer,
): Promise<PutOutcome> {
  const { mayHaveLanded } = notNewer;
  let stored = notNewer.stored;
  if (stored === undefined) {
    try {
      stored = await store.version(write.id, signal());
    } catch (error) {
      breaker.failure();
      return { kind: 'unavailable', error: unavailability(error).error, mayHaveLanded };
    }
  }
  if (stored !== undefined && isAtLeastAsNew(stored, write, horizon)) {
    breaker.success();
    return { kind: 'stale', stored };
  }
  // The store failed a condition the table does not explain: it is misbehaving, as in an outage.
  breaker.failure();
  const unexplained = Object.assign(new Error(`DynamoDB answered ${describeError(notNewer.cause).name}, but the table holds no newer write`), {
    name: 'UnexplainedConditionalCheckFailure',
    cause: notNewer.cause,
  });
  return { kind: 'unavailable', error: unexplained, mayHaveLanded };
}
