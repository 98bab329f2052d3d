/**
 * The product store's contract: what the write paths and the product API need of the table that
 * holds the products, whatever it is. adapters/dynamodb-store.ts implements it over DynamoDB. A
 * call that fails throws one of the store errors of errors.ts (WriteNotNewer, StoreRejected,
 * StoreUnavailable), or a ValidationError for input the store checks itself (a page token).
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
