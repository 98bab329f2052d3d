/**
 * The domain's errors. ValidationError: input the domain refuses (an invalid product, id, page
 * size, page token or queued write). It names what is wrong and nothing about transport: the
 * product API tells the client (http.ts), and the retry Lambda dead-letters the message it came
 * from. The store errors: how a call to the product store (product-store.ts) failed, in the terms
 * the write and read paths act on, whatever the store is.
 */
import type { StoredVersion } from '#domain/ordering';

export class ValidationError extends Error {
  override name = 'ValidationError';
}

export interface StoreFailureDetails {
  /** An attempt timed out or was aborted, so a write may still take effect (false for a read). */
  mayHaveLanded: boolean;
  /** The store's own error, for the logs. */
  cause: unknown;
}

/** A failed call to the product store. */
export abstract class StoreFailure extends Error {
  readonly mayHaveLanded: boolean;

  constructor(message: string, details: StoreFailureDetails) {
    super(message, { cause: details.cause });
    this.mayHaveLanded = details.mayHaveLanded;
  }
}

/**
 * The store did not take a write because it may hold one at least as new: the ordering rule's
 * condition failed. `stored`: the version it holds, when it said. A fault can fail the condition
 * too, so this proves nothing by itself (resilience/guarded-put.ts confirms it).
 */
export class WriteNotNewer extends StoreFailure {
  override name = 'WriteNotNewer';

  constructor(
    readonly stored: StoredVersion | undefined,
    details: StoreFailureDetails,
  ) {
    super('The store may hold a write at least as new', details);
  }
}

/** The store answered, refusing the request as sent: no sign of an outage. */
export class StoreRejected extends StoreFailure {
  override name = 'StoreRejected';
}

/** The store is unavailable: it answered with a server error or a throttle, or did not answer at all. */
export class StoreUnavailable extends StoreFailure {
  override name = 'StoreUnavailable';
}
