import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  InternalServerError,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../lambdas/config';
import { retryPath } from '#spec';
import { deadLetterCopy } from '#adapters/retry-queue';
import { backoffSeconds, requeueHoldSeconds } from '../../lambdas/retry/backoff';
import { outOfBounds } from '../../lambdas/retry/bounds';
import { createHandler } from '../../lambdas/retry/handler';
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
});

it('applies a queued write with the same conditional ordering rule and reports no failure', async () => {
  dynamo.on(PutItemCommand).resolves({});
  const write = sampleWrite();
  const result = await newHandler()(sqsEvent(sqsRecord(JSON.stringify(write))), lambdaContext());

  expect(result).toEqual({ batchItemFailures: [] });
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
const withAttributes = (record: ReturnType<typeof sqsRecord>, attributes: Record<string, string>) => ({
  ...record,
  messageAttributes: Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { dataType: 'Number', stringValue: value }])),
});

it('reports a transient failure as a batch item failure and backs off with the receive count', async () => {
  down();
  const record = sqsRecord(JSON.stringify(sampleWrite()), 3);
  const result = await newHandler(backoff)(sqsEvent(record), lambdaContext());

  expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
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
    expect(await newHandler(settings)(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
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
    expect(await newHandler(settings)(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
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

  it('keeps the record in flight, reported as failed, when neither the queue nor the DLQ takes it', async () => {
    down();
    sqs.on(SendMessageCommand).rejects(new Error('sqs down'));
    const record = sqsRecord(JSON.stringify(sampleWrite()), 40);
    expect(await newHandler(settings)(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(sqs).toHaveReceivedCommand(ChangeMessageVisibilityCommand);
  });

  it('carries the refusals counted so far into the re-queued copy', async () => {
    down();
    const record = withAttributes(sqsRecord(JSON.stringify(sampleWrite()), 35), { refusals: '2' });
    await newHandler(settings)(sqsEvent(record), lambdaContext());
    expect(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.MessageAttributes?.refusals?.StringValue).toBe('2');
  });
});

it('still reports the failure when the backoff call itself fails', async () => {
  down();
  sqs.on(ChangeMessageVisibilityCommand).rejects(new Error('sqs down'));
  const record = sqsRecord(JSON.stringify(sampleWrite()));
  expect(await newHandler()(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
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
  expect(await newHandler()(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
});

it('handles a mixed batch record by record', async () => {
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

  const result = await newHandler({ BREAKER_FAILURE_THRESHOLD: '5' })(sqsEvent(ok, failing, stale, poison), lambdaContext());

  expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: failing.messageId }] });
  expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  expect(sqs.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(1);
});

it('stops calling DynamoDB once the breaker opens, failing later batches fast', async () => {
  dynamo.on(PutItemCommand).rejects(new InternalServerError({ message: 'down', ...meta(500) }));
  const batch = () => sqsEvent(...Array.from({ length: 3 }, (_, i) => sqsRecord(JSON.stringify(sampleWrite({ id: `p${i}` })))));
  const handler = newHandler({ BREAKER_FAILURE_THRESHOLD: '2', BREAKER_COOLDOWN_MS: '60000' });

  // Records of one batch run in parallel, so the first batch tries them all and opens the breaker.
  expect((await handler(batch(), lambdaContext())).batchItemFailures).toHaveLength(3);
  expect((await handler(batch(), lambdaContext())).batchItemFailures).toHaveLength(3);
  expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(3);
  expect(sqs.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(6);
});

describe('finding 2: a write DynamoDB refuses is retried before it is parked', () => {
  const refuse = (code = 'ValidationException') =>
    dynamo.on(PutItemCommand).rejects(new DynamoDBServiceException({ name: code, $fault: 'client', message: 'refused as sent', ...meta(400) }));
  const settings = { RETRY_BACKOFF_CAP_SECONDS: '60', RETRY_MAX_REFUSALS: '5' };

  it.each(['ValidationException', 'SerializationException', 'ItemCollectionSizeLimitExceededException'])(
    'does not dead-letter on one %s: re-queues the write, counting the refusal',
    async (code) => {
      refuse(code);
      const record = sqsRecord(JSON.stringify(sampleWrite()));
      expect(await newHandler(settings)(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [] });
      expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
      const copy = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input;
      expect(copy).toMatchObject({ QueueUrl: process.env.QUEUE_URL, MessageBody: record.body, DelaySeconds: 60 });
      expect(copy.MessageAttributes?.refusals).toEqual({ DataType: 'Number', StringValue: '1' });
    },
  );

  it('waits longer after each refusal', async () => {
    refuse();
    const record = withAttributes(sqsRecord(JSON.stringify(sampleWrite())), { refusals: '3' });
    await newHandler(settings)(sqsEvent(record), lambdaContext());
    const copy = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(copy).toMatchObject({ QueueUrl: process.env.QUEUE_URL, DelaySeconds: 480 });
    expect(copy.MessageAttributes?.refusals?.StringValue).toBe('4');
  });

  it('parks the write in the DLQ, with the reason and the count, at the fifth refusal', async () => {
    refuse();
    const record = withAttributes(sqsRecord(JSON.stringify(sampleWrite())), { refusals: '4' });
    expect(await newHandler(settings)(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [] });
    const parked = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(parked.QueueUrl).toBe(process.env.DLQ_URL);
    expect(parked.MessageBody).toBe(record.body);
    expect(parked.MessageAttributes?.reasonCode?.StringValue).toBe('refused-by-dynamodb');
    expect(parked.MessageAttributes?.refusals).toEqual({ DataType: 'Number', StringValue: '5' });
    expect(parked.MessageAttributes?.reason?.StringValue).toMatch(/refused the write 5 times.*refused as sent/);
    expect(parked.MessageAttributes?.sourceMessageId?.StringValue).toBe(record.messageId);
  });

  it('keeps the write in flight, reported as failed, when the re-queue fails', async () => {
    refuse();
    sqs.on(SendMessageCommand).rejects(new Error('sqs down'));
    const record = sqsRecord(JSON.stringify(sampleWrite()));
    expect(await newHandler(settings)(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, { VisibilityTimeout: 60 });
  });

  it('parks it with a reason at the redrive threshold when the re-queue fails there', async () => {
    refuse();
    sqs.on(SendMessageCommand, { QueueUrl: process.env.QUEUE_URL }).rejects(new Error('queue refuses'));
    const record = sqsRecord(JSON.stringify(sampleWrite()), 5);
    expect(await newHandler({ ...settings, MAX_RECEIVE_COUNT: '5' })(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [] });
    const parked = sqs
      .commandCalls(SendMessageCommand)
      .map((call) => call.args[0].input)
      .find((input) => input.QueueUrl === process.env.DLQ_URL);
    expect(parked?.MessageAttributes).toMatchObject({ reasonCode: { StringValue: 'requeue-failed' }, refusals: { StringValue: '1' } });
  });
});

describe('finding 3: only what the product Lambda could have written is trusted', () => {
  const now = Date.UTC(2026, 10, 27);
  const bounds = { clockSkewSeconds: 300, maxWriteAgeDays: 365 };
  const at = (updatedAt: number, requestId: string = randomUUID()) => ({ ...sampleWrite(), price: 29.99, updatedAt, requestId });

  it.each([
    ['year 2100', at(4_102_444_800_000), /updatedAt 4102444800000 is .* s in the future/],
    ['six minutes ahead', at(now + 360_000), /in the future \(allowed: 300 s/],
    ['older than a year', at(now - 366 * 86_400_000), /too old/],
    ['the epoch', at(1), /too old/],
    ['a requestId not shaped as the product Lambda writes it', at(now, 'zzzz-wins-every-tie'), /requestId/],
  ])('rejects %s', (_label, write, reason) => {
    expect(outOfBounds(write, now, bounds)).toMatch(reason);
  });

  it.each([
    ['now', at(now)],
    ['within the clock skew', at(now + 299_000)],
    ['a month old', at(now - 30 * 86_400_000)],
    ['an upper-case request id', at(now, randomUUID().toUpperCase())],
  ])('accepts %s', (_label, write) => {
    expect(outOfBounds(write, now, bounds)).toBeUndefined();
  });

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
    await handler(sqsEvent(...writes.map((write) => sqsRecord(JSON.stringify(write)))), lambdaContext());

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

  it('leaves a body that fits untouched', () => {
    const reason = { reason: { DataType: 'String', StringValue: 'bad' } };
    expect(deadLetterCopy('{"id":', reason)).toEqual({ body: '{"id":', attributes: reason });
  });

  it('cuts a body that would not fit, with a marker, and keeps the reason and the full size', () => {
    const reason = { reason: { DataType: 'String', StringValue: 'r'.repeat(1024) } };
    const copy = deadLetterCopy(huge, reason);
    const size =
      Buffer.byteLength(copy.body) +
      Object.entries(copy.attributes).reduce(
        (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value.DataType!) + Buffer.byteLength(value.StringValue!),
        0,
      );
    expect(size).toBeLessThanOrEqual(retryPath.maxMessageBytes);
    expect(copy.body).toMatch(/…\[cut by the retry Lambda to fit the DLQ: \d+ bytes in all\]$/);
    expect(huge.startsWith(copy.body.slice(0, copy.body.indexOf('…')))).toBe(true);
    expect(copy.attributes).toMatchObject({
      reason: reason.reason,
      bodyTruncated: { StringValue: 'true' },
      originalBodyBytes: { DataType: 'Number', StringValue: String(Buffer.byteLength(huge)) },
    });
  });

  it('never cuts a multi-byte character in half', () => {
    const copy = deadLetterCopy('é'.repeat(1000), {}, 1200);
    expect(Buffer.byteLength(copy.body)).toBeLessThanOrEqual(1200);
    expect(copy.body).not.toContain('\uFFFD');
  });

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
    expect(await newHandler()(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
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

describe('requeueHoldSeconds', () => {
  it.each([
    [1, 60],
    [2, 120],
    [4, 480],
    [5, 900],
    [100, 900],
  ])('failed attempt %i holds %i s', (attempt, seconds) => {
    expect(requeueHoldSeconds(attempt, { requeueHoldBaseSeconds: 60, requeueHoldCapSeconds: 900 })).toBe(seconds);
  });
});

describe('backoffSeconds', () => {
  const settings = { backoffBaseSeconds: 2, backoffCapSeconds: 60 };
  it.each([
    [1, 2],
    [2, 4],
    [3, 8],
    [5, 32],
    [6, 60],
    [1000, 60],
    [0, 2],
  ])('receive count %i waits %i s', (count, seconds) => {
    expect(backoffSeconds(count, settings)).toBe(seconds);
  });
});
