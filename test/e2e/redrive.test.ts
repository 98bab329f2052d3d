/** The event source mapping and the queue's redrive policy, with a patience of two receives. */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { names } from '../../infra/spec';
import { eventually, fastTimings, OfflineRuntime } from '../support/offline';

let runtime: OfflineRuntime;

beforeAll(async () => {
  runtime = await OfflineRuntime.start({ ...fastTimings, maxReceiveCount: 2 });
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
});

it('redrives a write that keeps failing to the DLQ once it has been received maxReceiveCount times', async () => {
  await runtime.chaos('POST', 'faults', [{ service: 'dynamodb' }]);
  expect((await runtime.post({ id: 'prod-patient', name: 'Patient', price: 1, description: '' })).status).toBe(202);

  const dlq = await runtime.queueUrl(names.deadLetterQueue);
  const [message] = await eventually(
    'the write in the DLQ',
    async () => (await runtime.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }))).Messages,
    30_000,
  );
  expect(JSON.parse(message!.Body!)).toMatchObject({ id: 'prod-patient' });
  expect(Number(message!.Attributes?.ApproximateReceiveCount)).toBeGreaterThanOrEqual(2);
  expect(await runtime.depth(names.queue)).toBe(0);
  // Retried at least twice, each time with a batch item failure and a visibility backoff.
  expect(runtime.logs.filter((line) => line.includes('Write not applied yet')).length).toBeGreaterThanOrEqual(2);
}, 60_000);
