/**
 * The retry Lambda under unit test: its SQS and DynamoDB clients mocked (aws-sdk-client-mock), a
 * handler per configuration, and the check that an invocation kept records back.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityCommand, DeleteMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../lambdas/config';
import { createHandler } from '../../lambdas/retry/handler';
import { UnfinishedBatch } from '../../lambdas/retry/unfinished';
import { sampleWrite as supportWrite } from './events';

/** A write as the product Lambda produces it: accepted just now, stamped with a request id (a UUID). */
export const sampleWrite = (overrides: Record<string, unknown> = {}) => supportWrite({ updatedAt: Date.now(), requestId: randomUUID(), ...overrides });

export const dynamo = mockClient(DynamoDBClient);
export const sqs = mockClient(SQSClient);
export const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });
export const newHandler = (overrides: Record<string, string> = {}) =>
  createHandler(loadConfig({ ...process.env, ...overrides }, ['tableName', 'queueUrl', 'deadLetterQueueUrl']));

/** Clears both mocks; SQS then takes every call. Run before each test. */
export function resetMocks(): void {
  dynamo.reset();
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
  sqs.on(DeleteMessageBatchCommand).resolves({ Failed: [] });
}

/**
 * Expects the invocation to fail because records must come back, so that no event source mapping
 * deletes them (with or without ReportBatchItemFailures); resolves with the receipt handles the
 * handler deleted itself, the records it was done with.
 */
export async function keptBack(invocation: Promise<unknown>): Promise<string[]> {
  await expect(invocation).rejects.toThrow(UnfinishedBatch);
  return sqs.commandCalls(DeleteMessageBatchCommand).flatMap((call) => (call.args[0].input.Entries ?? []).map((entry) => entry.ReceiptHandle ?? ''));
}
