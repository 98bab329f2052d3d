/**
 * SNS deliveries to SQS that an sqs:SendMessage fault holds back are kept until they are
 * delivered. A release the messaging emulator refuses (here the topic was deleted while the
 * delivery was held, so the release answers 404 NotFound) stays held, is reported in the log and
 * counted as pending, and is retried until it goes through (once the topic and its subscription
 * exist again), rather than being dropped.
 */
import { CreateTopicCommand, DeleteTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { sdkConfig } from '../support/clients';
import { eventually, type OfflineRuntime, runtimeForSuite } from '../support/offline';

let runtime: OfflineRuntime;
runtimeForSuite((started) => (runtime = started), { reset: 'chaos' });

const pending = async () => (JSON.parse((await runtime.get('/_localstack/health')).body) as { pendingDeliveries: number }).pendingDeliveries;

it('keeps a held delivery whose release fails, reports it, and delivers it once the release can succeed', async () => {
  const sns = new SNSClient(sdkConfig(runtime.url));
  const queueUrl = (await runtime.sqs.send(new CreateQueueCommand({ QueueName: 'HeldReleaseQueue' }))).QueueUrl!;
  const { Attributes } = await runtime.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const subscribedTopic = async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'HeldReleaseTopic' }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn, Attributes: { RawMessageDelivery: 'true' } }));
    return TopicArn!;
  };
  const topicArn = await subscribedTopic();

  await runtime.chaos('POST', 'faults', [{ service: 'sqs', operation: 'SendMessage' }]);
  await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'kept' }));
  expect(await pending()).toBe(1);
  // The release will be refused: the topic it was published to is gone.
  await sns.send(new DeleteTopicCommand({ TopicArn: topicArn }));
  await runtime.chaos('POST', 'faults', []);
  await eventually('a release attempt', async () => runtime.logs.some((line) => line.startsWith('SNS delivery to SQS')));

  await subscribedTopic();
  const received = await eventually('the held message in the queue', async () => {
    const { Messages } = await runtime.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    return Messages?.[0];
  });
  expect(received.Body).toBe('kept');
  expect(runtime.logs.find((line) => line.startsWith('SNS delivery to SQS'))).toMatch(/failed: 404 \(NotFound\)/);
  expect(await pending()).toBe(0);
});
