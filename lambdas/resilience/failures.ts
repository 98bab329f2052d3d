/**
 * How a failed AWS call is treated. The write path needs three answers: a failed condition, which
 * may mean the table holds something newer (stale; guardedPut confirms it, since a fault can
 * answer with the same error), DynamoDB refusing the request as sent (rejected), or the service
 * unavailable for now (everything else: 5xx, throttling, timeouts, network errors).
 */
export type Failure = 'stale' | 'rejected' | 'unavailable';

// DynamoDB's answers that blame the request, not the service. For a product that passed our
// validation they are our problem (or an injected fault), never the client's; the write paths
// keep such a write rather than drop it. Any other error, including a 4xx from a
// misconfiguration such as a missing table, counts as unavailability.
const REJECTED = new Set(['ValidationException', 'SerializationException', 'ItemCollectionSizeLimitExceededException']);

export function classify(error: unknown): Failure {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'ConditionalCheckFailedException') return 'stale';
  if (typeof name === 'string' && REJECTED.has(name)) return 'rejected';
  return 'unavailable';
}

/** A short, log-friendly description of an AWS SDK error. */
export function describeError(error: unknown): { name: string; message: string; statusCode?: number } {
  if (error instanceof Error) {
    const statusCode = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return { name: error.name, message: error.message, ...(statusCode === undefined ? {} : { statusCode }) };
  }
  return { name: 'Unknown', message: String(error) };
}
