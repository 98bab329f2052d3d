/**
 * The write path: DynamoDB first, and when DynamoDB is unavailable, SNS so the retry path can
 * apply the write later. A write is only reported as accepted once one of the two has it.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { CircuitBreaker } from '../shared/breaker';
import type { Deadline } from '../shared/deadline';
import { describeError } from '../shared/errors';
import { guardedPut } from '../shared/guarded-put';
import { InputError, type ProductWrite } from '../shared/product';
import type { WritePublisher } from '../shared/publisher';
import type { ProductStore } from '../shared/store';

export type SaveOutcome = 'stored' | 'queued' | 'unavailable';

export interface SaveDeps {
  store: ProductStore;
  publisher: WritePublisher;
  breaker: CircuitBreaker;
  logger: Logger;
  dynamoBudgetMs: number;
}

export async function saveProduct(write: ProductWrite, deadline: Deadline, deps: SaveDeps): Promise<SaveOutcome> {
  const { store, publisher, breaker, logger } = deps;
  const put = await guardedPut(store, breaker, write, () => deadline.signal(deps.dynamoBudgetMs));
  switch (put.kind) {
    case 'stored':
      logger.info('Product stored', { productId: write.id, updatedAt: write.updatedAt });
      return 'stored';
    case 'stale':
      // A newer write for this id is already in the table; this one is accepted and superseded.
      logger.info('Product write superseded by a newer one', { productId: write.id, updatedAt: write.updatedAt });
      return 'stored';
    case 'rejected':
      throw new InputError(400, `DynamoDB rejected the product: ${put.message}`);
    case 'unavailable':
      if (put.error === undefined) logger.warn('Circuit breaker open, queueing the write without calling DynamoDB', { productId: write.id });
      else logger.warn('DynamoDB unavailable, queueing the write', { productId: write.id, error: describeError(put.error), breakerOpen: breaker.isOpen });
  }

  try {
    const messageId = await publisher.publish(write, deadline.signal());
    logger.info('Product write queued', { productId: write.id, updatedAt: write.updatedAt, messageId });
    return 'queued';
  } catch (error) {
    logger.error('SNS unavailable too; the write was not accepted', { productId: write.id, error: describeError(error) });
    return 'unavailable';
  }
}
