/** The SNS adapter: publishes an accepted write for the retry path. Raw delivery hands the JSON to SQS as is. */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { ProductWrite } from '#domain/product';

export class WritePublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(write: ProductWrite, abortSignal: AbortSignal): Promise<string | undefined> {
    const { MessageId } = await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Message: JSON.stringify(write),
        MessageAttributes: { requestId: { DataType: 'String', StringValue: write.requestId } },
      }),
      { abortSignal },
    );
    return MessageId;
  }
}
