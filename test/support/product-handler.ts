/**
 * The product Lambda under unit test: its DynamoDB and SNS clients mocked (aws-sdk-client-mock),
 * and a handler per configuration.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { loadConfig } from '../../lambdas/config';
import { createHandler } from '../../lambdas/product/handler';

export const dynamo = mockClient(DynamoDBClient);
export const sns = mockClient(SNSClient);
export const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });
export const newHandler = (overrides: Record<string, string> = {}) => createHandler(loadConfig({ ...process.env, ...overrides }, ['tableName', 'topicArn']));

/** Clears both mocks; SNS then takes every Publish. Run before each test. */
export function resetMocks(): void {
  dynamo.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
}
