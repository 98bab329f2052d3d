/**
 * The retry Lambda: drains ProductEventsQueue back into the Products table.
 * Each record is one accepted write. It lands with the same ordering rule as a direct write; a
 * stale one counts as done; a transient failure backs off and is reported as a batch item
 * failure, and one about to reach the queue's redrive threshold is re-queued as a fresh message
 * instead, so an outage of any length never dead-letters a valid write; a record that can never
 * succeed goes to the DLQ at once, with its reason.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { timing } from '../../infra/spec';
import { CircuitBreaker } from '../shared/breaker';
import { createDynamoClient, createSqsClient } from '../shared/clients';
import { type Config, loadConfig } from '../shared/config';
import { Deadline } from '../shared/deadline';
import { describeError } from '../shared/errors';
import { guardedPut } from '../shared/guarded-put';
import { parseWrite, type ProductWrite } from '../shared/product';
import { ProductStore } from '../shared/store';

/** Visibility timeout for the next attempt: base × 2^(receiveCount-1), capped. */
export function backoffSeconds(receiveCount: number, config: Pick<Config, 'backoffBaseSeconds' | 'backoffCapSeconds'>): number {
  const exponent = Math.min(Math.max(receiveCount, 1) - 1, 30);
  return Math.round(Math.min(config.backoffCapSeconds, config.backoffBaseSeconds * 2 ** exponent));
}

export function createHandler(config: Config) {
  const logger = new Logger({ serviceName: 'product-retry' });
  const store = new ProductStore(createDynamoClient(config), config.tableName);
  const sqs = createSqsClient(config);
  const breaker = new CircuitBreaker({ threshold: config.breakerThreshold, cooldownMs: config.breakerCooldownMs });
  const processor = new BatchProcessor(EventType.SQS);
  function readWrite(record: SQSRecord): ProductWrite | string {
    try {
      return parseWrite(JSON.parse(record.body));
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  async function deadLetter(record: SQSRecord, reason: string, deadline: Deadline): Promise<void> {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: config.deadLetterQueueUrl,
        MessageBody: record.body,
        MessageAttributes: {
          reason: { DataType: 'String', StringValue: reason.slice(0, 1024) },
          sourceMessageId: { DataType: 'String', StringValue: record.messageId },
        },
      }),
      { abortSignal: deadline.signal() },
    );
    logger.error('Message can never succeed; moved to the DLQ', { messageId: record.messageId, reason });
  }

  /**
   * Sends a copy of the record to the back of the queue, delayed by the backoff, so its receive
   * count starts again. Returns false if SQS did not take it (the record then stays as it is).
   */
  async function requeue(record: SQSRecord, seconds: number, deadline: Deadline): Promise<boolean> {
    try {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: config.queueUrl,
          MessageBody: record.body,
          DelaySeconds: Math.min(seconds, 900),
          MessageAttributes: { requeuedFrom: { DataType: 'String', StringValue: record.messageId } },
        }),
        { abortSignal: deadline.signal() },
      );
      logger.warn('Write re-queued before the redrive threshold; it will be retried', { messageId: record.messageId, retryInSeconds: seconds });
      return true;
    } catch (error) {
      logger.error('Could not re-queue a write at the redrive threshold', { messageId: record.messageId, error: describeError(error) });
      return false;
    }
  }

  /**
   * Hides the record for longer after each failed attempt, or re-queues it when SQS would
   * dead-letter it at the next receive. Returns true when the record is taken care of (re-queued);
   * false when it stays in flight and must be reported as a failure.
   */
  async function backOff(record: SQSRecord, deadline: Deadline): Promise<boolean> {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    const seconds = backoffSeconds(receiveCount, config);
    if (receiveCount >= config.maxReceiveCount - 1 && (await requeue(record, seconds, deadline))) return true;
    try {
      await sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: config.queueUrl, ReceiptHandle: record.receiptHandle, VisibilityTimeout: seconds }),
        { abortSignal: deadline.signal() },
      );
    } catch (error) {
      logger.warn('Could not extend the visibility timeout', { messageId: record.messageId, error: describeError(error) });
    }
    logger.warn('Write not applied yet; it will be retried', { messageId: record.messageId, receiveCount, retryInSeconds: seconds });
    return false;
  }

  async function processRecord(record: SQSRecord, deadline: Deadline): Promise<void> {
    const write = readWrite(record);
    if (typeof write === 'string') return deadLetter(record, write, deadline);
    logger.appendKeys({ requestId: write.requestId });
    try {
      const put = await guardedPut(store, breaker, write, () => deadline.signal(config.dynamoBudgetMs));
      switch (put.kind) {
        case 'stored':
          logger.info('Queued write applied', { productId: write.id, updatedAt: write.updatedAt, messageId: record.messageId });
          return;
        case 'stale':
          logger.info('Queued write is stale; the table holds newer data', { productId: write.id, updatedAt: write.updatedAt });
          return;
        case 'rejected':
          return await deadLetter(record, `DynamoDB rejected the write: ${put.message}`, deadline);
        case 'unavailable':
          if (await backOff(record, deadline)) return;
          throw put.error ?? new Error('DynamoDB is unavailable (circuit breaker open)');
      }
    } finally {
      logger.removeKeys(['requestId']);
    }
  }

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    logger.addContext(context);
    const deadline = new Deadline(context, timing.safetyMarginMs);
    return processPartialResponse(event, (record: SQSRecord) => processRecord(record, deadline), processor, {
      context,
      throwOnFullBatchFailure: false,
    });
  };
}

export const handler = createHandler(loadConfig(process.env, ['tableName', 'queueUrl', 'deadLetterQueueUrl']));
