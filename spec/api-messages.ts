/**
 * The product API's response sentences: the handler answers them, and the tests and the chaos
 * invariants recognize the outcome by them.
 */
/** The tutorial's response sentences, verbatim. */
export const STORED_MESSAGE = 'Product added/updated successfully.';
export const QUEUED_MESSAGE = 'A DynamoDB error occurred. Message sent to queue.';

/**
 * 503 when DynamoDB and SNS both answered every attempt with a failure: nothing was kept, and
 * the write will never appear unless the client sends it again.
 */
export const NOT_SAVED_MESSAGE = 'The product could not be saved: DynamoDB and the retry queue are both unavailable. Try again shortly.';

/**
 * 503 when no attempt succeeded but one timed out or was aborted: that request may still be
 * processed, so the write may appear later. Sending the same product again is safe: every write
 * is ordered by its acceptance time, so a late copy of this one never overwrites a newer write.
 */
export const OUTCOME_UNKNOWN_MESSAGE =
  'The outcome is unknown: DynamoDB or the retry queue did not answer in time, so the product may or may not be saved. Retrying the same product is safe.';
