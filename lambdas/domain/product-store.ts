/**
 * The product store's contract: what the write paths and the product API need of the table that
 * holds the products, whatever it is. adapters/dynamodb-store.ts implements it over DynamoDB. A
 * call that fails throws one of the store errors below, in the terms the write and read paths act
 * on (WriteNotNewer, StoreRejected, StoreUnavailable), or a ValidationError (errors.ts) for input
 * the store checks itself (a page token).
 */
import type { StoredVersion } from '#domain/ordering';
import type { ProductWrite } from '#domain/product';

/** A product as the store returns it: the write without its request id. */
export interface StoredProduct {
  id: string;
  name: string;
  price: number;
  description: string;
  updatedAt: number;
}

export interface ProductPage {
  items: StoredProduct[];
  /** Pass it back to read the next page; absent on the last one. */
  nextToken?: string;
}

export interface ProductStore {
  /** The ordering horizon now: a stored updatedAt beyond it does not count (ordering.ts). */
  horizon(): number;
  /**
   * Writes the product unless the store holds a write at least as new, by the ordering rule at
   * `horizon` (isAtLeastAsNew); then it throws WriteNotNewer.
   */
  put(write: ProductWrite, horizon: number, signal: AbortSignal): Promise<void>;
  /** The ordering data of the stored product (a consistent read), or undefined if there is none. */
  version(id: string, signal: AbortSignal): Promise<StoredVersion | undefined>;
  /** The stored product (a consistent read), or undefined if there is none. */
  get(id: string, signal: AbortSignal): Promise<StoredProduct | undefined>;
  /** At most `limit` products, from where `nextToken` (a previous page's) left off. */
  list(limit: number, nextToken: string | undefined, signal: AbortSignal): Promise<ProductPage>;
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
