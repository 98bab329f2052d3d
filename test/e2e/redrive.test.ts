/**
 * The retry path's patience, with SQS's redrive threshold scaled down to 3 receives: a long
 * outage must not dead-letter valid writes, while the queue's redrive still catches messages whose
 * invocations keep failing.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { env, names } from '#spec';
import { fastTimings } from '../../offline/runtime/compose';
import { eventually, type OfflineRuntime, runtimeForSuite } from '../support/offline';

const patience = { ...fastTimings, maxReceiveCount: 3 };

async function dlqMessages(runtime: OfflineRuntime) {
  const dlq = await runtime.queueUrl(names.deadLetterQueue);
  return (
    (await runtime.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, WaitTimeSeconds: 1, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] })))
      .Messages ?? []
  );
}

/** The retry function's lines about product `id` that contain `text`. */
const retryLines = (runtime: OfflineRuntime, id: string, text: string) =>
  runtime.logs.filter((line) => line.startsWith(`[${names.retryFunction}] {`) && line.includes(`"productId":"${id}"`) && line.includes(text));

// One runtime for both: each uses its own products, and the first leaves nothing queued or dead-lettered.
describe('with the redrive threshold at 3 receives', () => {
  let runtime: OfflineRuntime;
  runtimeForSuite((started) => (runtime = started), { timings: patience });

  describe('an outage longer than the redrive threshold', () => {
    it('dead-letters no valid write, and every write arrives once the outage ends', async () => {
      await runtime.chaos('POST', 'faults', [{ service: 'dynamodb' }]);
      const ids = ['long-1', 'long-2', 'long-3'];
      for (const id of ids) expect((await runtime.post({ id, name: 'Patient', price: 1, description: '' })).status).toBe(202);
      // Each receive re-queues the write as a fresh message (backoff capped at 1 s): the outage lasts
      // until every write has been received more times than the redrive threshold.
      await eventually(
        `every write re-queued more than ${patience.maxReceiveCount} times`,
        async () => ids.every((id) => retryLines(runtime, id, 're-queued before the redrive threshold').length > patience.maxReceiveCount),
        30_000,
      );
      expect(runtime.logs.filter((line) => line.includes('re-queued before the redrive threshold')).length).toBeGreaterThanOrEqual(ids.length);
      await runtime.chaos('POST', 'faults', []);

      for (const id of ids) await eventually(`${id} in the table`, () => runtime.item(id), 30_000);
      expect(await dlqMessages(runtime)).toEqual([]);
      await eventually('the queue to drain', async () => (await runtime.depth(names.queue)) === 0);
    }, 60_000);
  });

  describe('SQS refusing SendMessage through every receive up to the threshold (issue #10, finding 6)', () => {
    it('loses no accepted write: each is in the table or in the DLQ, from where a redrive applies it', async () => {
      const ids = ['refused-1', 'refused-2', 'refused-3'];
      await runtime.chaos('POST', 'faults', [{ service: 'dynamodb', operation: 'PutItem' }]);
      for (const id of ids) expect((await runtime.post({ id, name: 'Kept', price: 1, description: '' })).status).toBe(202);
      await eventually('the writes in the queue', async () => (await runtime.depth(names.queue)) >= ids.length);
      // Every re-queue refused through the 3 receives (each hold 1 s, then longer): the queue's redrive takes them all.
      await runtime.chaos('POST', 'faults', [
        { service: 'dynamodb', operation: 'PutItem' },
        { service: 'sqs', operation: 'SendMessage' },
      ]);
      await eventually(
        'every write moved to the DLQ by the queue’s redrive',
        async () => (await runtime.depth(names.queue)) === 0 && (await runtime.depth(names.deadLetterQueue)) === ids.length,
        40_000,
      );
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
});

describe('a retry function that keeps crashing', () => {
  let runtime: OfflineRuntime;
  // No table name: the retry function fails at start-up, so every invocation fails whole. A
  // 2 s visibility timeout brings each receive sooner; what is tested is the count of receives.
  runtimeForSuite((started) => (runtime = started), {
    timings: { ...patience, visibilityTimeoutSeconds: 2 },
    environmentOverrides: { retry: { [env.tableName]: '' } },
  });

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
