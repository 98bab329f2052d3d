/**
 * One conditional write through the circuit breaker, as both write paths make it (the product
 * Lambda's direct write and the retry Lambda's queued one): the breaker learns from every answer,
 * and the caller gets one outcome to act on.
 */
import { AttemptLog } from '#resilience/attempts';
import type { CircuitBreaker } from '#resilience/breaker';
import { classify, describeError } from '#resilience/failures';
import { isAtLeastAsNew, type StoredVersion } from '#domain/ordering';
import type { ProductWrite } from '#domain/product';
import { type ProductStore, storedVersionOf } from '#adapters/dynamodb-store';

export type PutOutcome =
  | { kind: 'stored' }
  /** The table holds a write at least as new as this one (`stored`; possibly this very write): nothing to do. */
  | { kind: 'stale'; stored: StoredVersion }
  /**
   * DynamoDB refused a write that passed our validation (ValidationException and the like). The
   * request is not the client's fault, and on AWS it would not succeed as sent; but a fault can
   * inject these errors too, so the write is worth keeping.
   */
  | { kind: 'rejected'; message: string }
  /**
   * DynamoDB is unavailable, or the open breaker kept the call from being made (`error`
   * undefined). `mayHaveLanded`: an attempt timed out or was aborted, so the write may still
   * take effect after this answer (it is false when every attempt was answered with a failure).
   */
  | { kind: 'unavailable'; error?: unknown; mayHaveLanded: boolean };

export async function guardedPut(store: ProductStore, breaker: CircuitBreaker, write: ProductWrite, signal: () => AbortSignal): Promise<PutOutcome> {
  if (!breaker.allows()) return { kind: 'unavailable', mayHaveLanded: false };
  const attempts = new AttemptLog();
  // One horizon for the condition and for confirming its failure, so the two judge alike.
  const horizon = store.horizon();
  try {
    await store.put(write, horizon, signal(), attempts);
    breaker.success();
    return { kind: 'stored' };
  } catch (error) {
    const mayHaveLanded = attempts.mayHaveLanded(error);
    switch (classify(error)) {
      case 'unavailable':
        breaker.failure();
        return { kind: 'unavailable', error, mayHaveLanded };
      case 'rejected':
        // DynamoDB answered: no sign of an outage, and counting it as one would open the breaker
        // and divert every other write to the queue because of one refused request.
        breaker.success();
        return { kind: 'rejected', message: describeError(error).message };
      case 'stale':
        return confirmStale(store, breaker, write, horizon, signal, error, mayHaveLanded);
    }
  }
}

/**
 * A ConditionalCheckFailedException means "stale" only when the table really holds a write at
 * least as new: the item DynamoDB returned with the failure shows it, or else a consistent read.
 * Anything that does not prove it (an injected fault, a read that fails) leaves the write
 * unapplied, so it is 'unavailable': the caller queues it or retries it later.
 */
async function confirmStale(
  store: ProductStore,
  breaker: CircuitBreaker,
  write: ProductWrite,
  horizon: number,
  signal: () => AbortSignal,
  conditionError: unknown,
  mayHaveLanded: boolean,
): Promise<PutOutcome> {
  let stored = storedVersionOf(conditionError);
  if (stored === undefined) {
    try {
      stored = await store.version(write.id, signal());
    } catch (error) {
      breaker.failure();
      return { kind: 'unavailable', error, mayHaveLanded };
    }
  }
  if (stored !== undefined && isAtLeastAsNew(stored, write, horizon)) {
    breaker.success();
    return { kind: 'stale', stored };
  }
  // DynamoDB failed a condition the table does not explain: it is misbehaving, as in an outage.
  breaker.failure();
  const unexplained = Object.assign(new Error(`DynamoDB answered ${describeError(conditionError).name}, but the table holds no newer write`), {
    name: 'UnexplainedConditionalCheckFailure',
    cause: conditionError,
  });
  return { kind: 'unavailable', error: unexplained, mayHaveLanded };
}
