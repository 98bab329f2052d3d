/**
 * The log messages that tooling reads as data (the soak and the randomized chaos suite match
 * accepted and stale writes in the functions' JSON log lines): one name for each, on both sides.
 */
export const logMessages = {
  /** Product Lambda: DynamoDB holds the write. Keys: productId, updatedAt. */
  stored: 'Product stored',
  /** Product Lambda: the table holds a newer write for the id (confirmed; answered 200 "not changed"). Keys: productId, updatedAt, storedUpdatedAt. */
  superseded: 'Product write superseded by a newer one',
  /** Product Lambda: SNS has the write. Keys: productId, updatedAt, messageId. */
  queued: 'Product write queued',
  /** Retry Lambda: a queued write landed. Keys: productId, updatedAt, requestId, messageId. */
  applied: 'Queued write applied',
  /** Retry Lambda: a queued write was older than the table's. Same keys. */
  stale: 'Queued write is stale; the table holds newer data',
} as const;
