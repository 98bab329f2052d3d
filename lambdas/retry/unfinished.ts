/**
 * A batch with records that must come back. Returning normally would not do: an event source
 * mapping without ReportBatchItemFailures (the AWS CLI's default) deletes the whole batch, and
 * with it every accepted write not applied yet. So the retry Lambda deletes the records it is done
 * with itself and fails the invocation: on a failed invocation the mapping deletes nothing, whatever
 * its FunctionResponseTypes, and the others come back once their visibility timeout ends.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { awsLimits } from '#spec';
import type { Deadline } from '#resilience/deadline';
import { describeError } from '#resilience/failures';
import type { QueuedMessage, RetryQueue } from '#adapters/retry-queue';

type Received = Pick<QueuedMessage, 'messageId' | 'receiptHandle'>;

/** Fails an invocation that leaves records to come back: an expected outcome, not a crash. */
export class UnfinishedBatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnfinishedBatch';
    // Lambda's runtime logs a thrown error with its stack; this one is expected, so it shows none.
    this.stack = `${this.name}: ${message}`;
  }
}

/**
 * Deletes the records of `received` not in `unfinished` and throws UnfinishedBatch. A finished
 * record SQS does not delete comes back, and is found done again: applied or stale becomes stale,
 * a re-queued write leaves one more copy (applied once, then stale), and a dead-lettered one is
 * put in the DLQ a second time (a duplicate a redrive applies once). Nothing is lost either way.
 */
export async function keepUnfinished(
  received: readonly Received[],
  unfinished: ReadonlySet<string>,
  deps: { queue: RetryQueue; logger: Logger },
  deadline: Deadline,
): Promise<never> {
  const finished = received.filter((record) => !unfinished.has(record.messageId));
  const chunks = Array.from({ length: Math.ceil(finished.length / awsLimits.sqsMaxBatchEntries) }, (_, i) =>
    finished.slice(i * awsLimits.sqsMaxBatchEntries, (i + 1) * awsLimits.sqsMaxBatchEntries),
  );
  const deletes = await Promise.allSettled(chunks.map((chunk) => deps.queue.delete(chunk, deadline.signal())));
  const notDeleted = deletes.flatMap((result, i) => (result.status === 'fulfilled' ? result.value : (chunks[i] ?? []).map((record) => record.messageId)));
  const failure = deletes.find((result) => result.status === 'rejected');
  if (notDeleted.length > 0) {
    deps.logger.warn('Could not delete every finished record; those come back and are found done again', {
      notDeleted,
      ...(failure ? { error: describeError(failure.reason) } : {}),
    });
  }
  const summary = `${unfinished.size} of ${received.length} records not done yet; the invocation fails so that the event source mapping deletes none of them, and SQS delivers them again`;
  deps.logger.warn(summary, { unfinished: [...unfinished], deleted: finished.length - notDeleted.length });
  throw new UnfinishedBatch(summary);
}
