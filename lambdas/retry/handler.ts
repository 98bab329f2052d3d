/**
 * The retry Lambda: drains ProductEventsQueue back into the Products table, one queued write per
 * record (decide.ts says what becomes of each). When every record is done the invocation succeeds
 * and the event source mapping deletes the batch; when some must come back, the others are
 * deleted here and the invocation fails (unfinished.ts), so no mapping setting can drop them.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { timing } from '#spec';
import { CircuitBreaker } from '#resilience/breaker';
import { Deadline } from '#resilience/deadline';
import { createDynamoClient, createSqsClient } from '#adapters/clients';
import { DynamoDbProductStore } from '#adapters/dynamodb-store';
import { readMessage, RetryQueue } from '#adapters/retry-queue';
import { type Config, loadConfig } from '../config';
import { type RetryDeps, retryWrite } from './decide';
import { keepUnfinished } from './unfinished';

export function createHandler(config: Config) {
  const deps: RetryDeps = {
    store: new DynamoDbProductStore(createDynamoClient(config), config.tableName, config.clockSkewSeconds),
    queue: new RetryQueue(createSqsClient(config), config.queueUrl, config.deadLetterQueueUrl),
    breaker: new CircuitBreaker({ threshold: config.breakerThreshold, cooldownMs: config.breakerCooldownMs }),
    logger: new Logger({ serviceName: 'product-retry' }),
    config,
  };
  const processor = new BatchProcessor(EventType.SQS);

  async function processRecord(record: SQSRecord, deadline: Deadline): Promise<void> {
    const outcome = await retryWrite(readMessage(record), deadline, deps);
    if (outcome.kind === 'retry-later' && !outcome.requeued) throw new Error(`Message ${record.messageId} not applied yet; SQS delivers it again`);
  }

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    deps.logger.addContext(context);
    const deadline = new Deadline(context, timing.safetyMarginMs);
    // Records run side by side; one that throws (not applied yet, or a bug) must come back.
    const { batchItemFailures } = await processPartialResponse(event, (record: SQSRecord) => processRecord(record, deadline), processor, {
      context,
      throwOnFullBatchFailure: false,
    });
    if (batchItemFailures.length === 0) return { batchItemFailures };
    return keepUnfinished(event.Records, new Set(batchItemFailures.map((failure) => failure.itemIdentifier)), deps, deadline);
  };
}

export const handler = createHandler(loadConfig(process.env, ['tableName', 'queueUrl', 'deadLetterQueueUrl']));
