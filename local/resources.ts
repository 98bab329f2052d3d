/** The app's resources for the in-process emulators, declared from the same spec as the stack. */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { names, region, retryPath } from '../infra/spec';

export const accountId = '000000000000';
export const topicArn = `arn:aws:sns:${region}:${accountId}:${names.topic}`;
export const queueArn = `arn:aws:sqs:${region}:${accountId}:${names.queue}`;
export const deadLetterQueueArn = `arn:aws:sqs:${region}:${accountId}:${names.deadLetterQueue}`;

export interface MessagingOverrides {
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
}

interface Declared {
  name: string;
  attributes?: Record<string, string>;
}

/** fauxqs init config: queue, DLQ with redrive policy, topic, raw-delivery subscription. */
export function messagingConfig(overrides: MessagingOverrides = {}): {
  region: string;
  queues: Declared[];
  topics: Declared[];
  subscriptions: Array<{ topic: string; queue: string; attributes: Record<string, string> }>;
} {
  return {
    region,
    queues: [
      { name: names.deadLetterQueue, attributes: { MessageRetentionPeriod: String(retryPath.messageRetentionSeconds) } },
      {
        name: names.queue,
        attributes: {
          VisibilityTimeout: String(overrides.visibilityTimeoutSeconds ?? retryPath.visibilityTimeoutSeconds),
          MessageRetentionPeriod: String(retryPath.messageRetentionSeconds),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: deadLetterQueueArn,
            maxReceiveCount: overrides.maxReceiveCount ?? retryPath.maxReceiveCount,
          }),
        },
      },
    ],
    topics: [{ name: names.topic }],
    subscriptions: [{ topic: names.topic, queue: names.queue, attributes: { RawMessageDelivery: 'true' } }],
  };
}

export async function createTable(dynamo: DynamoDBClient): Promise<void> {
  await dynamo.send(
    new CreateTableCommand({
      TableName: names.table,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}
