/**
 * An SQS event source mapping, as Lambda runs it: long-poll the queue, hand a batch to the
 * function, delete the batch when the invocation succeeds, except (with ReportBatchItemFailures)
 * the records it reported in batchItemFailures. A record the function fails (or a whole batch,
 * if the invocation throws) stays in the queue; SQS makes it visible again after its visibility
 * timeout and redrives it to the DLQ after maxReceiveCount.
 */
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { EVENT_SOURCE_HEADER } from '../../protocol/aws-wire';

export interface EventSourceSettings {
  queueUrl: string;
  queueArn: string;
  region: string;
  batchSize: number;
  waitTimeSeconds: number;
  /** The mapping's FunctionResponseTypes include ReportBatchItemFailures; without it Lambda ignores what the function returns. */
  reportBatchItemFailures?: boolean;
}

/**
 * Marks every call of this client as the event source mapping's (for `functionName`), so the
 * edge can tell its polls from the user's calls and keep the empty ones out of the log.
 */
export function markAsEventSource(sqs: SQSClient, functionName: string): SQSClient {
  sqs.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers[EVENT_SOURCE_HEADER] = functionName;
      return next(args);
    },
    { step: 'build', name: 'offlineEventSourceMarker' },
  );
  return sqs;
}

/** Runs the function; a handler that does not use partial batch responses may resolve to undefined. */
export type SqsInvoke = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

function toRecord(message: Message, settings: EventSourceSettings): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? '',
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { dataType: value.DataType ?? 'String', ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }) },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: settings.queueArn,
    awsRegion: settings.region,
  };
}

/**
 * Receives one batch and runs it through the function. Returns how many records were received
 * and how many the function finished (and so were deleted).
 */
export async function pollOnce(
  sqs: SQSClient,
  settings: EventSourceSettings,
  invoke: SqsInvoke,
  signal?: AbortSignal,
): Promise<{ received: number; deleted: number }> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: settings.queueUrl,
      MaxNumberOfMessages: settings.batchSize,
      WaitTimeSeconds: settings.waitTimeSeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
    signal ? { abortSignal: signal } : {},
  );
  if (Messages.length === 0) return { received: 0, deleted: 0 };

  const records = Messages.map((message) => toRecord(message, settings));
  let failed: Set<string>;
  try {
    const response = await invoke({ Records: records });
    failed = new Set(settings.reportBatchItemFailures ? (response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier) : []);
  } catch {
    // A failed invocation fails the whole batch: every record returns after its visibility timeout.
    return { received: records.length, deleted: 0 };
  }
  // Lambda fails the whole batch when a reported identifier is not one of its records.
  if ([...failed].some((id) => !records.some((record) => record.messageId === id))) return { received: records.length, deleted: 0 };
  const done = records.filter((record) => !failed.has(record.messageId));
  if (done.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: settings.queueUrl,
        Entries: done.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
      }),
    );
  }
  return { received: records.length, deleted: done.length };
}
