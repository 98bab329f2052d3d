/**
 * The retry Lambda, one queued write at a time: applied or stale, kept back with a backoff,
 * re-queued before the redrive threshold, or moved to the DLQ with its reason.
 * (retry-batch.test.ts: batches, the breaker and each record's logging context.)
 */
import { ConditionalCheckFailedException, DynamoDBServiceException, GetItemCommand, InternalServerError, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityCommand, DeleteMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import 'aws-sdk-client-mock-jest';
import { randomUUID } from 'node:crypto';
import { retryPath } from '#spec';
import { lambdaContext, sqsEvent, sqsRecord } from '../support/events';
import { captureLogs, restoreLogs } from '../support/log-capture';
import { dynamo, keptBack, meta, newHandler, resetMocks, sampleWrite, sqs } from '../support/retry-handler';

afterEach(restoreLogs);
beforeEach(resetMocks);

it('applies a queued write with the same conditional ordering rule and succeeds, leaving the delete to the event source mapping', async () => {
  dynamo.on(PutItemCommand).resolves({});
  const write = sampleWrite();
  const result = await newHandler()(sqsEvent(sqsRecord(JSON.stringify(write))), lambdaContext());

  expect(result).toEqual({ batchItemFailures: [] });
  expect(sqs).not.toHaveReceivedCommand(DeleteMessageBatchCommand);
  const input = dynamo.commandCalls(PutItemCommand)[0]!.args[0].input;
  expect(input.Item).toMatchObject({
    id: { S: 'prod-1003' },
    price: { N: '29.99' },
    updatedAt: { N: String(write.updatedAt) },
    requestId: { S: write.requestId },
  });
  expect(input.ConditionExpression).toContain('updatedAt < :t');
  expect(input.ExpressionAttributeValues).toMatchObject({ ':t': { N: String(write.updatedAt) }, ':r': { S: write.requestId } });
});

it('counts a stale write (the table holds newer data) as done', async () => {
  const newer = { id: { S: 'prod-1003' }, updatedAt: { N: String(Date.now() + 60_000) }, requestId: { S: randomUUID() } };
  dynamo.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'newer', Item: newer, ...meta(400) }));
  dynamo.on(GetItemCommand).resolves({ Item: newer });
  const result = await newHandler()(sqsEvent(sqsRecord(JSON.stringify(sampleWrite()))), lambdaContext());
  expect(result).toEqual({ batchItemFailures: [] });
  expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
});

/** Backoff 2 × 2^(n-1) s capped at 60 s, whatever the spec's defaults are today. */
const backoff = { RETRY_BACKOFF_BASE_SECONDS: '2', RETRY_BACKOFF_CAP_SECONDS: '60' };
const down = () => dynamo.on(PutItemCommand).rejects(new InternalServerError({ message: 'down', ...meta(500) }));

it('keeps a write it could not apply in the queue: backs off with the receive count and fails the invocation', async () => {
  down();
  const record = sqsRecord(JSON.stringify(sampleWrite()), 3);

  expect(await keptBack(newHandler(backoff)(sqsEvent(record), lambdaContext()))).toEqual([]);
  expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, {
    QueueUrl: process.env.QUEUE_URL,
    ReceiptHandle: record.receiptHandle,
    VisibilityTimeout: 8,
  });
  expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
});

it('re-queues a write near the redrive threshold instead of letting SQS dead-letter it', async () => {
  down();
  const record = sqsRecord(JSON.stringify(sampleWrite()), 4);
  const result = await newHandler({ ...backoff, MAX_RECEIVE_COUNT: '5' })(sqsEvent(record), lambdaContext());

  expect(result).toEqual({ batchItemFailures: [] });
  expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, { QueueUrl: process.env.QUEUE_URL, MessageBody: record.body, DelaySeconds: 16 });
  expect(sqs).not.toHaveReceivedCommand(ChangeMessageVisibilityCommand);
});

describe('finding 6: the re-queue window before the redrive threshold', () => {
  const settings = { ...backoff, MAX_RECEIVE_COUNT: '40', RETRY_REQUEUE_WINDOW: '10', RETRY_REQUEUE_HOLD_BASE_SECONDS: '60' };

  it('only backs off before the window', async () => {
    down();
    const record = sqsRecord(JSON.stringify(sampleWrite()), 29);
    await keptBack(newHandler(settings)(sqsEvent(record), lambdaContext()));
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, { VisibilityTimeout: 60 });
  });

  it('starts re-queueing several receives before the threshold', async () => {
    down();
    const record = sqsRecord(JSON.stringify(sampleWrite()), 30);
    expect(await newHandler(settings)(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, { QueueUrl: process.env.QUEUE_URL, MessageBody: record.body });
  });

  it.each([
    [30, 60],
    [31, 120],
    [33, 480],
    [35, 900],
  ])('after a failed re-queue at receive %i, logs it and hides the write for %i s', async (receiveCount, hold) => {
    down();
    sqs.on(SendMessageCommand).rejects(new Error('sqs down'));
    const logs = captureLogs();
    const record = sqsRecord(JSON.stringify(sampleWrite()), receiveCount);
    await keptBack(newHandler(settings)(sqsEvent(record), lambdaContext()));
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, { VisibilityTimeout: hold });
    expect(logs.lines().filter((line) => String(line.message).startsWith('Could not re-queue'))).toEqual([
      expect.objectContaining({ level: 'ERROR', messageId: record.messageId, receiveCount, error: expect.objectContaining({ message: 'sqs down' }) }),
    ]);
  });

  it('at the last receive, parks a write it cannot re-queue in the DLQ with a reason', async () => {
    down();
    sqs.on(SendMessageCommand, { QueueUrl: process.env.QUEUE_URL }).rejects(new Error('queue refuses'));
    const record = sqsRecord(JSON.stringify(sampleWrite()), 40);
    expect(await newHandler(settings)(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [] });
    const parked = sqs
      .commandCalls(SendMessageCommand)
      .map((call) => call.args[0].input)
      .find((input) => input.QueueUrl === process.env.DLQ_URL);
    expect(parked?.MessageBody).toBe(record.body);
    expect(parked?.MessageAttributes?.reasonCode?.StringValue).toBe('requeue-failed');
    expect(parked?.MessageAttributes?.reason?.StringValue).toMatch(/Re-queue failed/);
  });

  it('keeps the record in flight, failing the invocation, when neither the queue nor the DLQ takes it', async () => {
    down();
    sqs.on(SendMessageCommand).rejects(new Error('sqs down'));
    const record = sqsRecord(JSON.stringify(sampleWrite()), 40);
    await keptBack(newHandler(settings)(sqsEvent(record), lambdaContext()));
    expect(sqs).toHaveReceivedCommand(ChangeMessageVisibilityCommand);
  });
});

it('still fails the invocation when the backoff call itself fails', async () => {
  down();
  sqs.on(ChangeMessageVisibilityCommand).rejects(new Error('sqs down'));
  const record = sqsRecord(JSON.stringify(sampleWrite()));
  await keptBack(newHandler()(sqsEvent(record), lambdaContext()));
});

it.each([
  ['unparseable JSON', 'not json {', /not valid JSON|Unexpected token/],
  ['a product that fails validation', JSON.stringify(sampleWrite({ price: 'free' })), /price: must be an amount/],
  ['a write without ordering data', JSON.stringify({ id: 'p', name: 'n', price: 1, description: 'd' }), /updatedAt: is required/],
])('moves %s to the DLQ at once, with its reason, and deletes it from the queue', async (_label, body, reason) => {
  const record = sqsRecord(body);
  const result = await newHandler()(sqsEvent(record), lambdaContext());

  expect(result).toEqual({ batchItemFailures: [] });
  expect(dynamo).not.toHaveReceivedCommand(PutItemCommand);
  const sent = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input;
  expect(sent.QueueUrl).toBe(process.env.DLQ_URL);
  expect(sent.MessageBody).toBe(body);
  expect(sent.MessageAttributes!.reason!.StringValue).toMatch(reason);
  expect(sent.MessageAttributes!.sourceMessageId!.StringValue).toBe(record.messageId);
  expect(sent.MessageAttributes!.reasonCode!.StringValue).toBe('invalid-message');
});

it('keeps a poison message in the queue if the DLQ cannot take it, so nothing is silently dropped', async () => {
  sqs.on(SendMessageCommand).rejects(new Error('dlq down'));
  const record = sqsRecord('garbage');
  await keptBack(newHandler()(sqsEvent(record), lambdaContext()));
});

describe('a write DynamoDB refuses (it passed our validation) is retried like an outage, never dead-lettered for that', () => {
  const refuse = (code = 'ValidationException') =>
    dynamo.on(PutItemCommand).rejects(new DynamoDBServiceException({ name: code, $fault: 'client', message: 'refused as sent', ...meta(400) }));
  const toDlq = () => sqs.commandCalls(SendMessageCommand).filter((call) => call.args[0].input.QueueUrl === process.env.DLQ_URL);

  it.each(['ValidationException', 'SerializationException', 'ItemCollectionSizeLimitExceededException'])(
    'on %s: backs off with the receive count, logs the refusal and keeps the write in the queue',
    async (code) => {
      refuse(code);
      const logs = captureLogs();
      const record = sqsRecord(JSON.stringify(sampleWrite()), 3);
      await keptBack(newHandler(backoff)(sqsEvent(record), lambdaContext()));
      expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, { ReceiptHandle: record.receiptHandle, VisibilityTimeout: 8 });
      expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
      expect(logs.lines().filter((line) => line.message === 'DynamoDB refused the write; it will be retried')).toEqual([
        expect.objectContaining({ level: 'WARN', messageId: record.messageId, receiveCount: 3, error: expect.stringContaining('refused as sent') }),
      ]);
    },
  );

  it.each([1, 6, 34, 35, 39])('sends nothing to the DLQ at receive %i of 40, however many refusals came before', async (receiveCount) => {
    refuse();
    const record = sqsRecord(JSON.stringify(sampleWrite()), receiveCount);
    await newHandler({ ...backoff, MAX_RECEIVE_COUNT: '40', RETRY_REQUEUE_WINDOW: '10' })(sqsEvent(record), lambdaContext()).catch(() => undefined);
    expect(toDlq()).toEqual([]);
  });

  it('re-queues a refused write near the redrive threshold as a fresh message, as during an outage', async () => {
    refuse();
    const record = sqsRecord(JSON.stringify(sampleWrite()), 4);
    expect(await newHandler({ ...backoff, MAX_RECEIVE_COUNT: '5' })(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, { QueueUrl: process.env.QUEUE_URL, MessageBody: record.body, DelaySeconds: 16 });
    expect(toDlq()).toEqual([]);
  });

  it('parks it with a reason at the redrive threshold only when the re-queue fails there', async () => {
    refuse();
    sqs.on(SendMessageCommand, { QueueUrl: process.env.QUEUE_URL }).rejects(new Error('queue refuses'));
    const record = sqsRecord(JSON.stringify(sampleWrite()), 5);
    expect(await newHandler({ ...backoff, MAX_RECEIVE_COUNT: '5' })(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(toDlq().map((call) => call.args[0].input.MessageAttributes?.reasonCode?.StringValue)).toEqual(['requeue-failed']);
  });
});

describe('finding 3: only what the product Lambda could have written is trusted', () => {
  it('moves a queued write from the future to the DLQ with its reason, never to the table', async () => {
    const record = sqsRecord(JSON.stringify(sampleWrite({ updatedAt: 4_102_444_800_000 })));
    expect(await newHandler()(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(dynamo).not.toHaveReceivedCommand(PutItemCommand);
    const sent = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(sent.QueueUrl).toBe(process.env.DLQ_URL);
    expect(sent.MessageAttributes?.reasonCode?.StringValue).toBe('invalid-message');
    expect(sent.MessageAttributes?.reason?.StringValue).toMatch(/future/);
  });

  it('reads the bounds from the environment', async () => {
    const record = sqsRecord(JSON.stringify(sampleWrite({ updatedAt: Date.now() + 120_000 })));
    await newHandler({ RETRY_CLOCK_SKEW_SECONDS: '60' })(sqsEvent(record), lambdaContext());
    expect(dynamo).not.toHaveReceivedCommand(PutItemCommand);
    expect(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.QueueUrl).toBe(process.env.DLQ_URL);
  });
});

describe("finding 9: a poison message near the queues' size limit", () => {
  const huge = `{"id":"huge","pad":"${'x'.repeat(retryPath.maxMessageBytes - 40)}`;

  it('sends the DLQ a copy that fits', async () => {
    const record = sqsRecord(huge);
    expect(await newHandler()(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [] });
    const sent = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(sent.QueueUrl).toBe(process.env.DLQ_URL);
    const attributes = Object.entries(sent.MessageAttributes!).reduce(
      (sum, [name, value]) => sum + name.length + value.DataType!.length + Buffer.byteLength(value.StringValue!),
      0,
    );
    expect(Buffer.byteLength(sent.MessageBody!) + attributes).toBeLessThanOrEqual(retryPath.maxMessageBytes);
    expect(sent.MessageAttributes?.bodyTruncated?.StringValue).toBe('true');
    expect(sent.MessageAttributes?.reason?.StringValue).toMatch(/JSON/);
  });

  it('logs every failure to dead-letter, and keeps the message', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('dlq down'));
    const logs = captureLogs();
    const record = sqsRecord(huge);
    await keptBack(newHandler()(sqsEvent(record), lambdaContext()));
    expect(logs.lines().filter((line) => String(line.message).startsWith('Could not move the message to the DLQ'))).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        messageId: record.messageId,
        reason: expect.stringMatching(/JSON/),
        error: expect.objectContaining({ message: 'dlq down' }),
      }),
    ]);
  });
});
