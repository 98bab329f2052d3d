/**
 * The retry Lambda on a batch: records run side by side, the finished ones are deleted by the
 * handler itself when others must come back, the breaker spans batches, and each record logs with
 * its own requestId. (retry-handler.test.ts: what becomes of one queued write.)
 */
import { ConditionalCheckFailedException, GetItemCommand, InternalServerError, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityCommand, DeleteMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import 'aws-sdk-client-mock-jest';
import { UnfinishedBatch } from '../../lambdas/retry/unfinished';
import { lambdaContext, sqsEvent, sqsRecord } from '../support/events';
import { captureLogs, restoreLogs } from '../support/log-capture';
import { dynamo, keptBack, meta, newHandler, resetMocks, sampleWrite, sqs } from '../support/retry-handler';

afterEach(restoreLogs);
beforeEach(resetMocks);

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
