/**
 * The write path: DynamoDB first, and when DynamoDB is unavailable, SNS so the retry path can
 * apply the write later. A write is only reported as accepted once one of the two has it, and a
 * write is only reported as not saved when no attempt to keep it can still take effect.
 * With the fallback switched off (WRITE_FALLBACK=off, for experiments), a write DynamoDB fails is
 * lost instead, as in the tutorial's application before the fix.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { CircuitBreaker } from '#resilience/breaker';
import type { Deadline } from '#resilience/deadline';
import { describeError } from '#resilience/failures';
import { guardedPut } from '#resilience/guarded-put';
import { isSameWrite, type StoredVersion } from '#domain/ordering';
import type { ProductWrite } from '#domain/product';
import type { ProductStore } from '#domain/product-store';
import { AttemptLog, withAttemptLog } from '#adapters/sdk-attempts';
import type { WritePublisher } from '#adapters/sns-publisher';
import type { WriteFallback } from '../config';
import { logMessages } from '../../spec/log-messages';

/**
 * - stored: DynamoDB holds this write;
 * - superseded: DynamoDB holds a newer write of the id (`newer`), so the table does not show this
 *   one (it never landed, or it landed and was replaced);
 * - queued: SNS has it;
 * - refused: DynamoDB and SNS answered every attempt with a failure, so it will never appear;
 * - unknown: nothing confirmed it, but an attempt timed out or was aborted and may still land;
 * - lost: DynamoDB failed and the fallback is off, so nothing was published (it may still land
 *   if a DynamoDB attempt timed out, as with the tutorial's application before the fix).
 */
export type SaveOutcome = { kind: 'stored' | 'queued' | 'refused' | 'unknown' | 'lost' } | { kind: 'superseded'; newer: StoredVersion };

/** The one line logged for a write lost because the fallback is off. Keys: productId, updatedAt, cause (unavailable, breaker-open, rejected), error or reason. */
export const WRITE_LOST_MESSAGE = 'Write lost: DynamoDB failed and the fallback to the queue is off (WRITE_FALLBACK=off)';

export interface SaveDeps {
  store: ProductStore;
  /** Its SNS client must record attempts (recordClientAttempts) for 'refused' to be trusted. */
  publisher: WritePublisher;
  breaker: CircuitBreaker;
  logger: Logger;
  dynamoBudgetMs: number;
  /** 'off': a write DynamoDB fails is not published but lost (the outcome 'lost'). */
  fallback: WriteFallback;
}

export async function saveProduct(write: ProductWrite, deadline: Deadline, deps: SaveDeps): Promise<SaveOutcome> {
  const { store, publisher, breaker, logger } = deps;
  const put = await guardedPut(store, breaker, write, () => deadline.signal(deps.dynamoBudgetMs));
  // 'stale' is confirmed, not just claimed by an error: the table holds this very write (an earlier
  // attempt landed, its answer lost), or a newer one, which this write must not claim to be.
  if (put.kind === 'stale' && !isSameWrite(put.stored, write)) {
    logger.info(logMessages.superseded, { productId: write.id, updatedAt: write.updatedAt, storedUpdatedAt: put.stored.updatedAt });
    return { kind: 'superseded', newer: put.stored };
  }
  if (put.kind === 'stored' || put.kind === 'stale') {
    logger.info(logMessages.stored, { productId: write.id, updatedAt: write.updatedAt });
    return { kind: 'stored' };
  }
  if (deps.fallback === 'off') {
    const cause =
      put.kind === 'rejected'
        ? { cause: 'rejected', reason: put.message }
        : put.error === undefined
          ? { cause: 'breaker-open' }
          : { cause: 'unavailable', error: describeError(put.error), mayHaveLanded: put.mayHaveLanded };
    logger.error(WRITE_LOST_MESSAGE, { productId: write.id, updatedAt: write.updatedAt, ...cause });
    return { kind: 'lost' };
  }
  let dynamoMayHaveLanded = false;
  switch (put.kind) {
    case 'rejected':
      // The product passed our validation, so DynamoDB's refusal is not the client's fault (and a
      // fault can inject it): keep the write on the retry path rather than answer a 400.
      logger.error('DynamoDB refused a valid product; queueing the write', { productId: write.id, reason: put.message });
      break;
    case 'unavailable':
      dynamoMayHaveLanded = put.mayHaveLanded;
      if (put.error === undefined) logger.warn('Circuit breaker open, queueing the write without calling DynamoDB', { productId: write.id });
      else
        logger.warn('DynamoDB unavailable, queueing the write', {
          productId: write.id,
          error: describeError(put.error),
          breakerOpen: breaker.isOpen,
          mayHaveLanded: put.mayHaveLanded,
        });
  }

  const attempts = new AttemptLog();
  try {
    const messageId = await withAttemptLog(attempts, () => publisher.publish(write, deadline.signal()));
    logger.info(logMessages.queued, { productId: write.id, updatedAt: write.updatedAt, messageId });
    return { kind: 'queued' };
  } catch (error) {
    const snsMayHaveLanded = attempts.mayHaveLanded(error);
    if (dynamoMayHaveLanded || snsMayHaveLanded) {
      logger.error('SNS failed too, after an attempt that may still land; the outcome is unknown', {
        productId: write.id,
        updatedAt: write.updatedAt,
        error: describeError(error),
        dynamoMayHaveLanded,
        snsMayHaveLanded,
      });
      return { kind: 'unknown' };
    }
    logger.error('SNS unavailable too; the write was not accepted', { productId: write.id, error: describeError(error) });
    return { kind: 'refused' };
  }
}
