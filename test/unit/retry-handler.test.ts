import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  InternalServerError,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityCommand, DeleteMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../lambdas/config';
import { retryPath } from '#spec';
import { createHandler } from '../../lambdas/retry/handler';
import { UnfinishedBatch } from '../../lambdas/retry/unfinished';
import { lambdaContext, sampleWrite as supportWrite, sqsEvent, sqsRecord } from '../support/events';
import { captureLogs, restoreLogs } from '../support/log-capture';

/** A write as the product Lambda produces it: accepted just now, stamped with a request id (a UUID). */
const sampleWrite = (overrides: Record<string, unknown> = {}) => supportWrite({ updatedAt: Date.now(), requestId: randomUUID(), ...overrides });

const dynamo = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);
const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });
const newHandler = (overrides: Record<string, string> = {}) =>
  createHandler(loadConfig({ ...process.env, ...overrides }, ['tableName', 'queueUrl', 'deadLetterQueueUrl']));

afterEach(restoreLogs);

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
  sqs.on(DeleteMessageBatchCommand).resolves({ Failed: [] });
});

/**
 * Expects the invocation to fail because records must come back, so that no event source mapping
 * deletes them (with or without ReportBatchItemFailures); resolves with the receipt handles the
 * handler deleted itself, the records it was done with.
 */
async function keptBack(invocation: Promise<unknown>): Promise<string[]> {
  await expect(invocation).rejects.toThrow(UnfinishedBatch);
  return sqs.commandCalls(DeleteMessageBatchCommand).flatMap((call) => (call.args[0].input.Entries ?? []).map((entry) => entry.ReceiptHandle ?? ''));
}

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

it('handles a mixed batch record by record: deletes the finished records itself and fails the invocation for the one that must come back', async () => {
  dynamo.on(PutItemCommand).callsFake(async (input: { Item: { id: { S: string } } }) => {
    if (input.Item.id.S === 'ok') return {};
    if (input.Item.id.S === 'old') {
      const Item = { id: { S: 'old' }, updatedAt: { N: String(Date.now() + 60_000) }, requestId: { S: 'z' } };
      throw new ConditionalCheckFailedException({ message: 'newer', Item, ...meta(400) });
    }
    throw new InternalServerError({ message: 'down', ...meta(500) });
  });
  const ok = sqsRecord(JSON.stringify(sampleWrite({ id: 'ok' })));
  const stale = sqsRecord(JSON.stringify(sampleWrite({ id: 'old' })));
  dynamo.on(GetItemCommand).resolves({ Item: { id: { S: 'old' }, updatedAt: { N: String(Date.now() + 60_000) }, requestId: { S: 'z' } } });
  const failing = sqsRecord(JSON.stringify(sampleWrite({ id: 'down' })));
  const poison = sqsRecord('{"id":');

  const deleted = await keptBack(newHandler({ BREAKER_FAILURE_THRESHOLD: '5' })(sqsEvent(ok, failing, stale, poison), lambdaContext()));

  expect(deleted.sort()).toEqual([ok, stale, poison].map((record) => record.receiptHandle).sort());
  expect(sqs).toHaveReceivedCommandWith(DeleteMessageBatchCommand, { QueueUrl: process.env.QUEUE_URL });
  expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  expect(sqs.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(1);
});

describe('a batch with a record that must come back', () => {
  const applied = (count: number) => Array.from({ length: count }, (_, i) => sqsRecord(JSON.stringify(sampleWrite({ id: `ok-${i}` }))));
  const waiting = () => sqsRecord(JSON.stringify(sampleWrite({ id: 'down' })));
  const someDown = () =>
    dynamo.on(PutItemCommand).callsFake(async (input: { Item: { id: { S: string } } }) => {
      if (input.Item.id.S === 'down') throw new InternalServerError({ message: 'down', ...meta(500) });
      return {};
    });

  it('fails with a one-line error and a warning that says why, not a stack trace', async () => {
    someDown();
    const logs = captureLogs();
    const record = waiting();
    const error = await newHandler()(sqsEvent(...applied(1), record), lambdaContext()).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(UnfinishedBatch);
    expect((error as Error).stack).toBe(`UnfinishedBatch: ${(error as Error).message}`);
    expect((error as Error).message).toMatch(/^1 of 2 records not done yet; the invocation fails so that the event source mapping deletes none of them/);
    expect(logs.lines().filter((line) => line.message === (error as Error).message)).toEqual([
      expect.objectContaining({ level: 'WARN', unfinished: [record.messageId], deleted: 1 }),
    ]);
  });

  it('deletes the finished records ten at a time, as DeleteMessageBatch takes them', async () => {
    someDown();
    const done = applied(12);
    const deleted = await keptBack(newHandler({ BREAKER_FAILURE_THRESHOLD: '20' })(sqsEvent(...done, waiting()), lambdaContext()));
    expect(sqs.commandCalls(DeleteMessageBatchCommand).map((call) => call.args[0].input.Entries?.length)).toEqual([10, 2]);
    expect(deleted.sort()).toEqual(done.map((record) => record.receiptHandle).sort());
  });

  it.each([
    ['rejects the call', () => sqs.on(DeleteMessageBatchCommand).rejects(new Error('sqs down'))],
    ['fails an entry', () => sqs.on(DeleteMessageBatchCommand).resolves({ Failed: [{ Id: '0', Code: 'ReceiptHandleIsInvalid', SenderFault: true }] })],
  ])('still fails the invocation, and logs what it could not delete, when SQS %s', async (_label, deleteFails) => {
    someDown();
    deleteFails();
    const logs = captureLogs();
    const [done] = applied(1);
    await keptBack(newHandler()(sqsEvent(done!, waiting()), lambdaContext()));
    expect(logs.lines().filter((line) => String(line.message).startsWith('Could not delete every finished record'))).toEqual([
      expect.objectContaining({ level: 'WARN', notDeleted: [done!.messageId] }),
    ]);
  });
});

it('stops calling DynamoDB once the breaker opens, failing later batches fast', async () => {
  dynamo.on(PutItemCommand).rejects(new InternalServerError({ message: 'down', ...meta(500) }));
  const batch = () => sqsEvent(...Array.from({ length: 3 }, (_, i) => sqsRecord(JSON.stringify(sampleWrite({ id: `p${i}` })))));
  const handler = newHandler({ BREAKER_FAILURE_THRESHOLD: '2', BREAKER_COOLDOWN_MS: '60000' });

  // Records of one batch run in parallel, so the first batch tries them all and opens the breaker.
  await keptBack(handler(batch(), lambdaContext()));
  await keptBack(handler(batch(), lambdaContext()));
  expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(3);
  expect(sqs.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(6);
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

describe('finding 8: each record logs with its own requestId', () => {
  it('in a concurrent batch whose records interleave', async () => {
    const logs = captureLogs();
    const writes = Array.from({ length: 6 }, (_, i) => sampleWrite({ id: `p${i}` }));
    // Later records finish first, so every record's lines are written while others are in flight.
    dynamo.on(PutItemCommand).callsFake(async (input: { Item: { id: { S: string } } }) => {
      const index = Number(input.Item.id.S.slice(1));
      await new Promise((resolve) => setTimeout(resolve, 60 - index * 10));
      if (index % 2 === 1) throw new InternalServerError({ message: 'down', ...meta(500) });
      return {};
    });
    const handler = newHandler({ BREAKER_FAILURE_THRESHOLD: '10' });
    jest.useFakeTimers();
    try {
      const invocation = keptBack(handler(sqsEvent(...writes.map((write) => sqsRecord(JSON.stringify(write)))), lambdaContext()));
      await jest.advanceTimersByTimeAsync(60);
      await invocation;
    } finally {
      jest.useRealTimers();
    }

    const expected = new Map(writes.map((write) => [write.id, write.requestId]));
    const lines = logs.lines().filter((line) => typeof line.productId === 'string');
    expect(
      lines.filter((line) => line.requestId !== expected.get(String(line.productId))).map((line) => `${String(line.productId)}: ${String(line.requestId)}`),
    ).toEqual([]);
    expect(lines.length).toBeGreaterThanOrEqual(writes.length);
    expect(new Set(lines.map((line) => line.productId))).toEqual(new Set(expected.keys()));
    // Nothing leaks onto the shared logger for the next invocation.
    const before = logs.lines().length;
    await handler(sqsEvent(sqsRecord('not json')), lambdaContext());
    expect(
      logs
        .lines()
        .slice(before)
        .every((line) => line.requestId === undefined),
    ).toBe(true);
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
