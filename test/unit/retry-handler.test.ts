import { ConditionalCheckFailedException, DynamoDBClient, DynamoDBServiceException, InternalServerError, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { loadConfig } from '../../lambdas/shared/config';
import { backoffSeconds, createHandler } from '../../lambdas/retry/handler';
import { lambdaContext, sampleWrite, sqsEvent, sqsRecord } from '../support/events';

const dynamo = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);
const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });
const newHandler = (overrides: Record<string, string> = {}) =>
  createHandler(loadConfig({ ...process.env, ...overrides }, ['tableName', 'queueUrl', 'deadLetterQueueUrl']));

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
});

it('applies a queued write with the same conditional ordering rule and reports no failure', async () => {
  dynamo.on(PutItemCommand).resolves({});
  const result = await newHandler()(sqsEvent(sqsRecord(JSON.stringify(sampleWrite()))), lambdaContext());

  expect(result).toEqual({ batchItemFailures: [] });
  const input = dynamo.commandCalls(PutItemCommand)[0]!.args[0].input;
  expect(input.Item).toMatchObject({ id: { S: 'prod-1003' }, price: { N: '29.99' }, updatedAt: { N: '1700000000000' }, requestId: { S: 'req-1' } });
  expect(input.ConditionExpression).toContain('updatedAt < :t');
  expect(input.ExpressionAttributeValues).toEqual({ ':t': { N: '1700000000000' }, ':r': { S: 'req-1' } });
});

it('counts a stale write (the table holds newer data) as done', async () => {
  dynamo.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'newer', ...meta(400) }));
  const result = await newHandler()(sqsEvent(sqsRecord(JSON.stringify(sampleWrite()))), lambdaContext());
  expect(result).toEqual({ batchItemFailures: [] });
  expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
});

it('reports a transient failure as a batch item failure and backs off with the receive count', async () => {
  dynamo.on(PutItemCommand).rejects(new InternalServerError({ message: 'down', ...meta(500) }));
  const record = sqsRecord(JSON.stringify(sampleWrite()), 3);
  const result = await newHandler()(sqsEvent(record), lambdaContext());

  expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
  expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, {
    QueueUrl: process.env.QUEUE_URL,
    ReceiptHandle: record.receiptHandle,
    VisibilityTimeout: 8,
  });
  expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
});

it('re-queues a write at the redrive threshold instead of letting SQS dead-letter it', async () => {
  dynamo.on(PutItemCommand).rejects(new InternalServerError({ message: 'down', ...meta(500) }));
  const record = sqsRecord(JSON.stringify(sampleWrite()), 4);
  const result = await newHandler({ MAX_RECEIVE_COUNT: '5' })(sqsEvent(record), lambdaContext());

  expect(result).toEqual({ batchItemFailures: [] });
  expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, { QueueUrl: process.env.QUEUE_URL, MessageBody: record.body, DelaySeconds: 16 });
  expect(sqs).not.toHaveReceivedCommand(ChangeMessageVisibilityCommand);
});

it('keeps the record in flight, reported as failed, when the re-queue itself fails', async () => {
  dynamo.on(PutItemCommand).rejects(new InternalServerError({ message: 'down', ...meta(500) }));
  sqs.on(SendMessageCommand).rejects(new Error('sqs down'));
  const record = sqsRecord(JSON.stringify(sampleWrite()), 5);
  const result = await newHandler({ MAX_RECEIVE_COUNT: '5' })(sqsEvent(record), lambdaContext());

  expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
  expect(sqs).toHaveReceivedCommand(ChangeMessageVisibilityCommand);
});

it('still reports the failure when the backoff call itself fails', async () => {
  dynamo.on(PutItemCommand).rejects(new InternalServerError({ message: 'down', ...meta(500) }));
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
});

it('moves a write DynamoDB rejects as invalid to the DLQ', async () => {
  dynamo.on(PutItemCommand).rejects(new DynamoDBServiceException({ name: 'ValidationException', $fault: 'client', message: 'bad item', ...meta(400) }));
  const result = await newHandler()(sqsEvent(sqsRecord(JSON.stringify(sampleWrite()))), lambdaContext());
  expect(result).toEqual({ batchItemFailures: [] });
  expect(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.MessageAttributes!.reason!.StringValue).toMatch(/DynamoDB rejected the write: bad item/);
});

it('keeps a poison message in the queue if the DLQ cannot take it, so nothing is silently dropped', async () => {
  sqs.on(SendMessageCommand).rejects(new Error('dlq down'));
  const record = sqsRecord('garbage');
  expect(await newHandler()(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
});

it('handles a mixed batch record by record', async () => {
  dynamo.on(PutItemCommand).callsFake(async (input: { Item: { id: { S: string } } }) => {
    if (input.Item.id.S === 'ok') return {};
    if (input.Item.id.S === 'old') throw new ConditionalCheckFailedException({ message: 'newer', ...meta(400) });
    throw new InternalServerError({ message: 'down', ...meta(500) });
  });
  const ok = sqsRecord(JSON.stringify(sampleWrite({ id: 'ok' })));
  const stale = sqsRecord(JSON.stringify(sampleWrite({ id: 'old' })));
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
