/**
 * What the retry Lambda does with one queued write. It lands with the same ordering rule as a
 * direct write; a stale one counts as done. A transient failure backs off and the message is
 * delivered again; in a window of receives before the queue's redrive threshold the write is
 * re-queued as a fresh message instead, and each failed re-queue hides it for longer, so neither
 * a DynamoDB outage nor SQS refusing the re-queue for a while dead-letters a valid write. A write
 * DynamoDB refuses (ValidationException and the like) passed our validation, so the refusal is a
 * fault on DynamoDB's side: it is retried the same way, for as long as the write is within its
 * bounds (bounds.ts), never dead-lettered for refusals. A record that can never succeed (not a
 * write the product Lambda could have produced) goes to the DLQ at once, with its reason.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { CircuitBreaker } from '#resilience/breaker';
import type { Deadline } from '#resilience/deadline';
import { describeError } from '#resilience/failures';
import { guardedPut } from '#resilience/guarded-put';
import { parseWrite, type ProductWrite } from '#domain/product';
import type { ProductStore } from '#domain/product-store';
import type { DeadLetterReason, QueuedMessage, RetryQueue } from '#adapters/retry-queue';
import type { Config } from '../config';
import { logMessages } from '../../spec/log-messages';
import { backoffSeconds, firstRequeueReceive, requeueHoldSeconds } from './backoff';
import { outOfBounds } from './bounds';
import { RecordLog } from './record-log';

/**
 * - applied: the write landed;
 * - stale: the table holds this write or a newer one;
 * - dead-lettered: the message is in the DLQ with its reason;
 * - retry-later: not done yet. `requeued`: a fresh copy of the write waits in the queue, so this
 *   message is done with; otherwise (hidden for a backoff, or a DLQ move SQS refused) it must
 *   stay in the queue, and SQS delivers it again.
 */
export type RetryOutcome = { kind: 'applied' | 'stale' | 'dead-lettered' } | { kind: 'retry-later'; requeued: boolean };

export interface RetryDeps {
  store: ProductStore;
  queue: RetryQueue;
  breaker: CircuitBreaker;
  logger: Logger;
  config: Config;
}

const DEAD_LETTERED: RetryOutcome = { kind: 'dead-lettered' };
const REQUEUED: RetryOutcome = { kind: 'retry-later', requeued: true };
const REDELIVER: RetryOutcome = { kind: 'retry-later', requeued: false };

/** One message's processing, with its own logging context. */
interface Work {
  message: QueuedMessage;
  log: RecordLog;
  deadline: Deadline;
  deps: RetryDeps;
}

/** The warning each receive logs for a write it could not apply: why, and anything to say about it. */
interface NotApplied {
  message: string;
  extra?: Record<string, unknown>;
}

const UNAVAILABLE: NotApplied = { message: 'Write not applied yet; it will be retried' };

export async function retryWrite(message: QueuedMessage, deadline: Deadline, deps: RetryDeps): Promise<RetryOutcome> {
  const work: Work = { message, deadline, deps, log: new RecordLog(deps.logger, { messageId: message.messageId }) };
  const write = readWrite(message.body);
  if (typeof write === 'string') return deadLettered(await deadLetter(work, 'invalid-message', write));
  work.log.append({ requestId: write.requestId, productId: write.id, updatedAt: write.updatedAt });
  const untrusted = outOfBounds(write, Date.now(), deps.config);
  if (untrusted !== undefined) return deadLettered(await deadLetter(work, 'invalid-message', untrusted));

  const put = await guardedPut(deps.store, deps.breaker, write, () => deadline.signal(deps.config.dynamoBudgetMs));
  switch (put.kind) {
    case 'stored':
      work.log.info(logMessages.applied);
      return { kind: 'applied' };
    case 'stale':
      work.log.info(logMessages.stale);
      return { kind: 'stale' };
    case 'rejected':
      // Not the client's fault (the write passed validation) and not ours to give up on: retried like an outage.
      return backOff(work, { message: 'DynamoDB refused the write; it will be retried', extra: { error: put.message } });
    case 'unavailable':
      return backOff(work, UNAVAILABLE);
  }
}

/** The write in a message body, or why there is none. */
function readWrite(body: string): ProductWrite | string {
  try {
    return parseWrite(JSON.parse(body));
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** A message that could not be moved to the DLQ stays in the queue (reported as failed) and comes back: nothing is dropped silently. */
const deadLettered = (moved: boolean): RetryOutcome => (moved ? DEAD_LETTERED : REDELIVER);

/** Moves the message to the DLQ with its reason. Returns false (logged) if SQS did not take it. */
async function deadLetter(work: Work, code: DeadLetterReason, reason: string): Promise<boolean> {
  const { message, log } = work;
  try {
    const { truncated } = await work.deps.queue.deadLetter(message, { code, reason }, work.deadline.signal());
    log.error('Message moved to the DLQ', {
      reasonCode: code,
      reason,
      ...(truncated ? { bodyTruncated: true, bodyBytes: Buffer.byteLength(message.body) } : {}),
    });
    return true;
  } catch (error) {
    log.error('Could not move the message to the DLQ; it stays in the queue and will be tried again', {
      reasonCode: code,
      reason,
      bodyBytes: Buffer.byteLength(message.body),
      receiveCount: message.receiveCount,
      error: describeError(error),
    });
    return false;
  }
}

/** Sends a fresh copy of the message to the queue, due in `seconds`. Returns false (logged) if SQS did not take it. */
async function requeue(work: Work, seconds: number, notApplied: NotApplied): Promise<boolean> {
  const { message, log } = work;
  try {
    await work.deps.queue.requeue(message, seconds, work.deadline.signal());
    log.warn('Write re-queued before the redrive threshold; it will be retried', {
      ...notApplied.extra,
      receiveCount: message.receiveCount,
      retryInSeconds: seconds,
    });
    return true;
  } catch (error) {
    log.error('Could not re-queue the write before the redrive threshold', {
      ...notApplied.extra,
      receiveCount: message.receiveCount,
      maxReceiveCount: work.deps.config.maxReceiveCount,
      error: describeError(error),
    });
    return false;
  }
}

/** Hides the message for `seconds`. If SQS refuses, it comes back after the queue's own visibility timeout. */
async function hide(work: Work, seconds: number): Promise<void> {
  try {
    await work.deps.queue.hide(work.message, seconds, work.deadline.signal());
  } catch (error) {
    work.log.warn('Could not extend the visibility timeout', { error: describeError(error) });
  }
}

/**
 * At the last receive SQS hands the function (the redrive threshold), a write that could not be
 * re-queued is parked in the DLQ with a reason, rather than left for SQS's redrive to move
 * without one. Returns true if it was parked.
 */
async function parkAtThreshold(work: Work): Promise<boolean> {
  const { receiveCount } = work.message;
  const { config } = work.deps;
  if (receiveCount < config.maxReceiveCount) return false;
  const parked = await deadLetter(
    work,
    'requeue-failed',
    `Re-queue failed on every receive from ${firstRequeueReceive(config)} to ${receiveCount} (the redrive threshold); parked here so a redrive can apply it`,
  );
  if (!parked) work.log.error('SQS will dead-letter this write at its next receive, without a reason; redrive the DLQ to apply it', { receiveCount });
  return parked;
}

/**
 * A write that could not be applied now (`notApplied` says why). Before the re-queue window: hide
 * it for the backoff. In the window: re-queue it as a fresh message; if SQS refuses, hide it for
 * longer with each failed attempt so the remaining receives span a long SQS outage; at the very
 * last receive, park it in the DLQ with a reason rather than let SQS's redrive take it without one.
 */
async function backOff(work: Work, notApplied: NotApplied): Promise<RetryOutcome> {
  const { receiveCount } = work.message;
  const { config } = work.deps;
  const first = firstRequeueReceive(config);
  const seconds = backoffSeconds(receiveCount, config);
  if (receiveCount < first) {
    await hide(work, seconds);
    work.log.warn(notApplied.message, { ...notApplied.extra, receiveCount, retryInSeconds: seconds });
    return REDELIVER;
  }
  if (await requeue(work, seconds, notApplied)) return REQUEUED;
  if (await parkAtThreshold(work)) return DEAD_LETTERED;
  const hold = Math.max(seconds, requeueHoldSeconds(receiveCount - first + 1, config));
  await hide(work, hold);
  work.log.warn(notApplied.message, { ...notApplied.extra, receiveCount, retryInSeconds: hold });
  return REDELIVER;
}
