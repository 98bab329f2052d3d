/**
 * The retry path's patience, with SQS's redrive threshold scaled down to 3 receives: a long
 * outage must not dead-letter valid writes, while the queue's redrive still catches messages whose
 * invocations keep failing.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { env, names } from '#spec';
import { fastTimings } from '../../offline/runtime';
import { eventually, type OfflineRuntime, runtimeForSuite } from '../support/offline';

const patience = { ...fastTimings, maxReceiveCount: 3 };

async function dlqMessages(runtime: OfflineRuntime) {
  const dlq = await runtime.queueUrl(names.deadLetterQueue);
  return (
    (await runtime.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, WaitTimeSeconds: 1, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] })))
      .Messages ?? []
  );
}

describe('an outage longer than the redrive threshold', () => {
  let runtime: OfflineRuntime;
  runtimeForSuite((started) => (runtime = started), { timings: patience });

  it('dead-letters no valid write, and every write arrives once the outage ends', async () => {
    await runtime.chaos('POST', 'faults', [{ service: 'dynamodb' }]);
    const ids = ['long-1', 'long-2', 'long-3'];
    for (const id of ids) expect((await runtime.post({ id, name: 'Patient', price: 1, description: '' })).status).toBe(202);
    // Backoff capped at 1 s: in 8 s each write is received well over 3 times.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    expect(runtime.logs.filter((line) => line.includes('re-queued before the redrive threshold')).length).toBeGreaterThanOrEqual(ids.length);
    await runtime.chaos('POST', 'faults', []);

    for (const id of ids) await eventually(`${id} in the table`, () => runtime.item(id), 30_000);
    expect(await dlqMessages(runtime)).toEqual([]);
    await eventually('the queue to drain', async () => (await runtime.depth(names.queue)) === 0);
  }, 60_000);
});

describe('SQS refusing SendMessage through every receive up to the threshold (issue #10, finding 6)', () => {
  let runtime: OfflineRuntime;
  runtimeForSuite((started) => (runtime = started), { timings: patience });

  it('loses no accepted write: each is in the table or in the DLQ, from where a redrive applies it', async () => {
    const ids = ['refused-1', 'refused-2', 'refused-3'];
    await runtime.chaos('POST', 'faults', [{ service: 'dynamodb', operation: 'PutItem' }]);
    for (const id of ids) expect((await runtime.post({ id, name: 'Kept', price: 1, description: '' })).status).toBe(202);
    await eventually('the writes in the queue', async () => (await runtime.depth(names.queue)) >= ids.length);
    // With 3 receives and a 1 s hold, 20 s outlasts every re-queue attempt: the queue's redrive takes them.
    await runtime.chaos('POST', 'faults', [
      { service: 'dynamodb', operation: 'PutItem' },
      { service: 'sqs', operation: 'SendMessage' },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    await runtime.chaos('POST', 'faults', []);

    // Every failed attempt is in the log, with the write's requestId.
    const failed = runtime.logs.filter((line) => line.includes('Could not re-queue the write before the redrive threshold'));
    expect(failed.length).toBeGreaterThanOrEqual(ids.length);
    expect(failed.every((line) => /"requestId":"[0-9a-f-]{36}"/.test(line))).toBe(true);

    // Whatever did not reach the table is in the DLQ (counted there), and a redrive applies it.
    const dlq = await runtime.queueUrl(names.deadLetterQueue);
    const queue = await runtime.queueUrl(names.queue);
    await eventually(
      'every write in the table or the DLQ',
      async () => {
        const inTable = await Promise.all(ids.map((id) => runtime.item(id)));
        return inTable.every(Boolean) || (await runtime.depth(names.queue)) === 0;
      },
      30_000,
    );
    for (const message of await dlqMessages(runtime)) {
      await runtime.sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: message.Body! }));
      await runtime.sqs.send(new DeleteMessageCommand({ QueueUrl: dlq, ReceiptHandle: message.ReceiptHandle }));
    }
    for (const id of ids) expect(await eventually(`${id} in the table`, () => runtime.item(id), 30_000)).toMatchObject({ name: { S: 'Kept' } });
  }, 120_000);
});

describe('a retry function that keeps crashing', () => {
  let runtime: OfflineRuntime;
  // No table name: the retry function fails at start-up, so every invocation fails whole.
  runtimeForSuite((started) => (runtime = started), { timings: patience, environmentOverrides: { retry: { [env.tableName]: '' } } });

  it('is caught by the queue’s redrive: the write lands in the DLQ after maxReceiveCount receives', async () => {
    expect((await runtime.post({ id: 'prod-crash', name: 'Unlucky', price: 1, description: '' })).status).toBe(200);
    await runtime.chaos('POST', 'faults', [{ service: 'dynamodb', operation: 'PutItem' }]);
    expect((await runtime.post({ id: 'prod-crash', name: 'Queued', price: 1, description: '' })).status).toBe(202);

    const [message] = await eventually(
      'the write in the DLQ',
      async () => {
        const messages = await dlqMessages(runtime);
        return messages.length > 0 ? messages : undefined;
      },
      40_000,
    );
    expect(JSON.parse(message!.Body!)).toMatchObject({ id: 'prod-crash', name: 'Queued' });
    expect(Number(message!.Attributes?.ApproximateReceiveCount)).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
