/**
 * How a failed call is told to the caller. The product store names its failures in the domain's
 * terms (domain/product-store.ts): a failed condition, which may mean the table holds something
 * newer (WriteNotNewer; guardedPut confirms it, since a fault can answer with the same error),
 * the store refusing the request as sent (StoreRejected), or the store unavailable for now
 * (StoreUnavailable). The outcomes carry the store's own error, so the logs name what the
 * service answered.
 */
import { StoreFailure } from '#domain/product-store';

/**
 * An unavailable store's own error, and whether the write may still take effect. Anything that is
 * not a store error (a bug) counts as unavailability too, and as possibly landed: nothing says otherwise.
 */
export function unavailability(error: unknown): { error: unknown; mayHaveLanded: boolean } {
  return error instanceof StoreFailure ? { error: error.cause, mayHaveLanded: error.mayHaveLanded } : { error, mayHaveLanded: true };
}

/** A short, log-friendly description of an AWS SDK error. */
export function describeError(error: unknown): { name: string; message: string; statusCode?: number } {
  if (error instanceof Error) {
    const statusCode = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return { name: error.name, message: error.message, ...(statusCode === undefined ? {} : { statusCode }) };
  }
  return { name: 'Unknown', message: String(error) };
}
