/** How many messages a queue holds, as every check and the runtime's readings count them. */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

const DEPTH_ATTRIBUTES = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;

/** Messages in a queue: visible, in flight and delayed (a re-queued write waits there). The one meaning of "queue depth". */
export async function messagesIn(sqs: SQSClient, queueUrl: string, abortSignal?: AbortSignal): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...DEPTH_ATTRIBUTES] }),
    abortSignal ? { abortSignal } : {},
  );
  return DEPTH_ATTRIBUTES.reduce((sum, attribute) => sum + Number(Attributes[attribute] ?? 0), 0);
}
