/**
 * The app's resources in the emulators, created with the SDK from the same spec as the stack:
 * the table, and the topic → queue (raw delivery) with its DLQ and redrive policy.
 */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { names, retryPath } from '#spec';

export interface MessagingSettings {
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
}

export interface Messaging {
  topicArn: string;
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
}

/** A value an AWS answer must carry; its absence means the emulator misbehaved. */
function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`The emulator's answer has no ${what}`);
  return value;
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

export async function createMessaging(sqs: SQSClient, sns: SNSClient, settings: MessagingSettings): Promise<Messaging> {
  const createQueue = async (name: string, attributes: Record<string, string>) => {
    const url = must((await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl, 'QueueUrl');
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    return { url, arn: must(Attributes?.QueueArn, 'QueueArn') };
  };
  const retention = { MessageRetentionPeriod: String(retryPath.messageRetentionSeconds) };
  const dlq = await createQueue(names.deadLetterQueue, retention);
  const queue = await createQueue(names.queue, {
    ...retention,
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: settings.maxReceiveCount }),
  });
  const topicArn = must((await sns.send(new CreateTopicCommand({ Name: names.topic }))).TopicArn, 'TopicArn');
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queue.arn, Attributes: { RawMessageDelivery: 'true' } }));
  return { topicArn, queueUrl: queue.url, queueArn: queue.arn, deadLetterQueueUrl: dlq.url };
}
