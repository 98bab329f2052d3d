/**
 * The SQS adapter of the retry path: reads what SQS says about a received message, and moves
 * a message on: to the DLQ with its reason, back to the queue as a fresh copy, out of sight for
 * a while, or out of the queue once it is done with.
 */
import { ChangeMessageVisibilityCommand, DeleteMessageBatchCommand, type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { awsLimits, retryPath } from '#spec';

/** Kept free under the size limit, in case SQS counts an attribute a few bytes differently. */
const SIZE_MARGIN_BYTES = 512;

/** Why a message is in the DLQ: the `reasonCode` attribute the retry Lambda sets. */
export type DeadLetterReason =
  /** Not a write the product Lambda could have produced: unparseable, invalid, or out of bounds. Never applied. */
  | 'invalid-message'
  /** A valid write at the redrive threshold that could not be re-queued. Redrive it. */
  | 'requeue-failed';

/**
 * The message attributes on what the retry Lambda puts in the DLQ (all String unless noted):
 * reason (a sentence, at most 1,024 characters), reasonCode (DeadLetterReason), sourceMessageId
 * (the queue message it came from), and, when the body had to be cut to fit SQS's limit,
 * bodyTruncated ("true"), originalBodyBytes (Number) and originalBodySha256. A DLQ message
 * without a reasonCode was put there by SQS's own redrive (maxReceiveCount receives: invocations
 * that kept failing, or a re-queue that kept failing).
 */
export const DEAD_LETTER_ATTRIBUTES = ['reason', 'reasonCode', 'sourceMessageId', 'bodyTruncated', 'originalBodyBytes', 'originalBodySha256'] as const;

/** A received message as the retry path reads it. */
export interface QueuedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** SQS's ApproximateReceiveCount: 1 on the first receive. */
  receiveCount: number;
}

export function readMessage(record: SQSRecord): QueuedMessage {
  return {
    messageId: record.messageId,
    receiptHandle: record.receiptHandle,
    body: record.body,
    receiveCount: Number(record.attributes.ApproximateReceiveCount),
  };
}

/** SQS's size of a set of message attributes: names, data types and values. */
function attributeBytes(attributes: Record<string, MessageAttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
  }
  return bytes;
}

/** The longest prefix of `text` of at most `maxBytes` UTF-8 bytes, cut between characters. */
function utf8Prefix(text: string, maxBytes: number): string {
  const cut = Buffer.from(text, 'utf8').subarray(0, Math.max(0, maxBytes)).toString('utf8');
  return cut.endsWith('\uFFFD') && !text.startsWith(cut) ? cut.slice(0, -1) : cut;
}

/**
 * The DLQ copy of a message: the body as it came, unless body and attributes would exceed SQS's
 * limit; then the body is cut to fit, with a marker, and the attributes say so. The reason and
 * the other attributes always survive.
 */
export function deadLetterCopy(body: string, attributes: Record<string, MessageAttributeValue>, limit: number = retryPath.maxMessageBytes) {
  const bodyBytes = Buffer.byteLength(body);
  if (bodyBytes + attributeBytes(attributes) + SIZE_MARGIN_BYTES <= limit) return { body, attributes };
  const truncated: Record<string, MessageAttributeValue> = {
    ...attributes,
    bodyTruncated: { DataType: 'String', StringValue: 'true' },
    originalBodyBytes: { DataType: 'Number', StringValue: String(bodyBytes) },
    originalBodySha256: { DataType: 'String', StringValue: createHash('sha256').update(body).digest('hex') },
  };
  const marker = `…[cut by the retry Lambda to fit the DLQ: ${bodyBytes} bytes in all]`;
  const room = limit - attributeBytes(truncated) - SIZE_MARGIN_BYTES - Buffer.byteLength(marker);
  return { body: utf8Prefix(body, room) + marker, attributes: truncated };
}

export class RetryQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly deadLetterQueueUrl: string,
  ) {}

  /** Puts a copy of the message in the DLQ with its reason (DEAD_LETTER_ATTRIBUTES). Returns whether the body was cut to fit. */
  async deadLetter(message: QueuedMessage, why: { code: DeadLetterReason; reason: string }, abortSignal: AbortSignal): Promise<{ truncated: boolean }> {
    const copy = deadLetterCopy(message.body, {
      reason: { DataType: 'String', StringValue: why.reason.slice(0, 1024) },
      reasonCode: { DataType: 'String', StringValue: why.code },
      sourceMessageId: { DataType: 'String', StringValue: message.messageId },
    });
    await this.client.send(new SendMessageCommand({ QueueUrl: this.deadLetterQueueUrl, MessageBody: copy.body, MessageAttributes: copy.attributes }), {
      abortSignal,
    });
    return { truncated: copy.body !== message.body };
  }

  /**
   * Sends a copy of the message to the back of the queue after `delaySeconds` (at most SQS's
   * maximum), so its receive count starts again.
   */
  async requeue(message: QueuedMessage, delaySeconds: number, abortSignal: AbortSignal): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: message.body,
        DelaySeconds: Math.min(delaySeconds, awsLimits.sqsMaxDelaySeconds),
        MessageAttributes: { requeuedFrom: { DataType: 'String', StringValue: message.messageId } },
      }),
      { abortSignal },
    );
  }

  /** Hides the message for `seconds`: it stays in flight, and SQS delivers it again after that. */
  async hide(message: QueuedMessage, seconds: number, abortSignal: AbortSignal): Promise<void> {
    await this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: message.receiptHandle, VisibilityTimeout: seconds }), {
      abortSignal,
    });
  }

  /**
   * Deletes messages the retry Lambda is done with (at most SQS's 10 per call). Returns the
   * message ids SQS did not delete: those come back.
   */
  async delete(messages: ReadonlyArray<Pick<QueuedMessage, 'messageId' | 'receiptHandle'>>, abortSignal: AbortSignal): Promise<string[]> {
    const { Failed = [] } = await this.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.receiptHandle })),
      }),
      { abortSignal },
    );
    return Failed.map((failure) => messages[Number(failure.Id)]?.messageId ?? String(failure.Id));
  }
}
