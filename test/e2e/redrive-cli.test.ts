/**
 * `npm run chaos -- redrive` against the offline runtime: messages put in the DLQ with the SDK
 * (raw product JSON, as the retry Lambda and SQS's redrive leave them, and an SNS envelope, as a
 * subscription's redrive policy may) go back to the product queue and reach the table through the
 * retry Lambda; --dry-run lists them and moves nothing.
 */
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { names } from '#spec';
import { runChaosCli } from '../../chaos/cli/chaos-command';
import { arn } from '../support/clients';
import { eventually, type OfflineRuntime, runtimeForSuite } from '../support/offline';
import { runTs } from '../support/run-ts';

let runtime: OfflineRuntime;
runtimeForSuite((started) => (runtime = started));

const cli = async (...args: string[]) => {
  const out: string[] = [];
  await runChaosCli([...args, '--endpoint', runtime.url], (line) => out.push(line));
  return out.join('\n');
};

/** The DLQ's visible messages, and all of them (visible, in flight and delayed): a redrive must not leave messages hidden. */
async function dlqDepth(): Promise<{ visible: number; all: number }> {
  const all = await runtime.depth(names.deadLetterQueue);
  const { Attributes = {} } = await runtime.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: await runtime.queueUrl(names.deadLetterQueue), AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return { visible: Number(Attributes.ApproximateNumberOfMessages), all };
}

// As the product Lambda writes them: its request id (a UUID) and a recent updatedAt, or the retry Lambda would refuse them.
const requestIds = new Map<string, string>();
const write = (id: string, name: string, updatedAt = Date.now()) => {
  const requestId = randomUUID();
  requestIds.set(id, requestId);
  return JSON.stringify({ id, name, price: 5, description: 'from the DLQ', updatedAt, requestId });
};
const snsEnvelope = (message: string) =>
  JSON.stringify({
    Type: 'Notification',
    MessageId: '7b8d7a2e-0000-4000-8000-000000000000',
    TopicArn: arn('sns', names.topic),
    Message: message,
    Timestamp: new Date().toISOString(),
    SignatureVersion: '1',
  });

it('lists with --dry-run, then moves every DLQ message back to the queue, raw or in an SNS envelope, and the writes reach the table', async () => {
  // A newer value already in the table: the redriven older write for it must not replace it.
  expect((await runtime.post({ id: 'dlq-newer', name: 'Newest', price: 1, description: '' })).status).toBe(200);
  const dlq = await runtime.queueUrl(names.deadLetterQueue);
  const bodies = [
    write('dlq-raw', 'Raw'),
    snsEnvelope(write('dlq-enveloped', 'Enveloped')),
    write('dlq-newer', 'Older', Date.now() - 60_000),
    // Poison: it goes back to the DLQ with its reason, and the same redrive does not pick it up again.
    'not a product',
  ];
  for (const body of bodies) {
    await runtime.sqs.send(
      new SendMessageCommand({ QueueUrl: dlq, MessageBody: body, MessageAttributes: { reason: { DataType: 'String', StringValue: 'parked by a test' } } }),
    );
  }
  // A message stamped in the same millisecond as the redrive's start still counts as "already there".
  await new Promise((resolve) => setTimeout(resolve, 20));

  const listing = await cli('redrive', '--dry-run');
  expect(listing).toMatch(new RegExp(`^Dry run: the messages in ${names.deadLetterQueue} \\(nothing is moved\\):`));
  expect(listing).toContain('product "dlq-raw"');
  expect(listing).toMatch(/product "dlq-enveloped" updatedAt \d+; in an SNS envelope/);
  expect(listing).toContain('reason: parked by a test');
  expect(listing).toContain('not JSON (13 characters)');
  expect(listing).toMatch(
    new RegExp(`4 message\\(s\\) would move to ${names.queue} \\(4 from ${names.deadLetterQueue}\\)\\. Run without --dry-run to move them\\.$`),
  );
  // Nothing moved, and nothing left hidden.
  expect(await dlqDepth()).toEqual({ visible: 4, all: 4 });
  expect(await runtime.item('dlq-raw')).toBeUndefined();

  expect(await cli('redrive')).toMatch(new RegExp(`^Moved 4 message\\(s\\) to ${names.queue} \\(4 from ${names.deadLetterQueue}\\)\\.`));

  const raw = await eventually('the raw write in the table', () => runtime.item('dlq-raw'), 20_000);
  expect(raw).toMatchObject({ name: { S: 'Raw' }, requestId: { S: requestIds.get('dlq-raw') } });
  const enveloped = await eventually('the enveloped write in the table', () => runtime.item('dlq-enveloped'), 20_000);
  expect(enveloped).toMatchObject({ name: { S: 'Enveloped' } });
  await eventually('the queue to drain', () => runtime.drained(), 20_000);
  // The older write was dropped as stale, not applied over the newer one; only the poison message is back in the DLQ.
  expect((await runtime.item('dlq-newer'))?.name).toEqual({ S: 'Newest' });
  await eventually('the poison message back in the DLQ', async () => (await dlqDepth()).all === 1, 10_000);
  expect(await cli('redrive', '--dry-run')).toMatch(/not JSON \(13 characters\); received \d+ time\(s\); reason: .*not valid JSON\n1 message\(s\) would move/);
}, 60_000);

it('exits as the other commands do: 0 when done, 1 when the target is unreachable, 2 for a wrong command line', async () => {
  const ok = await runTs('scripts/chaos.ts', ['redrive', '--dry-run', '--endpoint', runtime.url]);
  expect(ok).toMatchObject({ code: 0 });
  expect(ok.stdout).toMatch(new RegExp(`^Dry run: the messages in ${names.deadLetterQueue} \\(nothing is moved\\):\n`));

  const unreachable = await runTs('scripts/chaos.ts', ['redrive', '--endpoint', 'http://127.0.0.1:9']);
  expect(unreachable.code).toBe(1);
  expect(unreachable.stderr.trim()).toMatch(
    /^Error: Could not reach SQS at http:\/\/127\.0\.0\.1:9 \(E[A-Z]+\)\. Is LocalStack or the offline runtime \(npm start\) running\?$/,
  );

  const wrong = await runTs('scripts/chaos.ts', ['redrive', '--dry-rn', '--endpoint', runtime.url]);
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toContain("Unknown option '--dry-rn' (Did you mean --dry-run?)");
}, 60_000);
