/**
 * Issue #10, the retry Lambda's part: the accepted-write guarantee under the faults the Chaos API
 * can inject and the messages anyone can put on the queue. Each case runs against the offline
 * runtime (the Lambdas from their bundles), with real SDK calls, the Chaos API, and the real AWS
 * CLI for the queue messages.
 */
import { DeleteEventSourceMappingCommand, GetEventSourceMappingCommand, LambdaClient, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, type Message, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { names, retryPath } from '#spec';
import { fastTimings } from '../../offline/runtime/compose';
import { retryMapping } from '../../shared/app-client/switches';
import { awsCli, sdkConfig } from '../support/clients';
import { dynamoRefusals } from '../support/faults';
import { eventually, type OfflineRuntime, runtimeForSuite } from '../support/offline';

const product = (id: string, extra: Record<string, unknown> = {}) => ({ id, name: 'Guarded', price: 12.5, description: 'An accepted write.', ...extra });
const write = (id: string, extra: Record<string, unknown> = {}) => ({ ...product(id), updatedAt: Date.now(), requestId: randomUUID(), ...extra });
const dynamoDown = { service: 'dynamodb', operation: 'PutItem', error: { statusCode: 500, code: 'InternalServerError' } };

/**
 * Sends `body` to the product queue with the real AWS CLI (v1), as an operator or anyone could,
 * the queue's URL too from the CLI; a body near SQS's size limit goes through a file.
 */
async function cliSend(runtime: OfflineRuntime, body: string, { throughFile = false } = {}): Promise<void> {
  const queueUrl = (JSON.parse(await awsCli(runtime.url, 'sqs', 'get-queue-url', '--queue-name', names.queue)) as { QueueUrl: string }).QueueUrl;
  if (!throughFile) {
    await awsCli(runtime.url, 'sqs', 'send-message', '--queue-url', queueUrl, '--message-body', body);
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-body-'));
  try {
    writeFileSync(path.join(dir, 'body.json'), body);
    await awsCli(runtime.url, 'sqs', 'send-message', '--queue-url', queueUrl, '--message-body', `file://${path.join(dir, 'body.json')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every DLQ message seen so far (received and deleted, so each is collected once). */
class DeadLetters {
  readonly seen: Message[] = [];
  constructor(private readonly runtime: OfflineRuntime) {}

  async collect(): Promise<Message[]> {
    const dlq = await this.runtime.queueUrl(names.deadLetterQueue);
    for (;;) {
      const { Messages = [] } = await this.runtime.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlq,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) return this.seen;
      for (const message of Messages) {
        this.seen.push(message);
        await this.runtime.sqs.send(new DeleteMessageCommand({ QueueUrl: dlq, ReceiptHandle: message.ReceiptHandle }));
      }
    }
  }

  /** The DLQ message whose body mentions `marker`, once it is there. */
  async find(marker: string, timeoutMs = 20_000): Promise<Message> {
    return eventually(`a DLQ message containing ${marker}`, async () => (await this.collect()).find((message) => message.Body?.includes(marker)), timeoutMs);
  }

  ids(): string[] {
    return this.seen.map((message) => {
      try {
        return String((JSON.parse(message.Body ?? '') as { id?: unknown }).id);
      } catch {
        return '(not JSON)';
      }
    });
  }
}

/** The retry function's structured log lines. */
function retryLogs(runtime: OfflineRuntime): Array<Record<string, unknown>> {
  const prefix = `[${names.retryFunction}] `;
  return runtime.logs
    .filter((line) => line.startsWith(`${prefix}{`))
    .map((line) => {
      try {
        return JSON.parse(line.slice(prefix.length)) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
}

const attribute = (message: Message, name: string) => message.MessageAttributes?.[name]?.StringValue;

const REFUSED = 'DynamoDB refused the write; it will be retried';
const NOT_APPLIED = 'Write not applied yet; it will be retried';
const COULD_NOT_REQUEUE = 'Could not re-queue the write before the redrive threshold';

/** The retry function's lines with `message` about product `id`. */
const linesAbout = (runtime: OfflineRuntime, id: string, message: string) =>
  retryLogs(runtime).filter((line) => line.productId === id && line.message === message);

describe('the retry Lambda with the deployed redrive threshold (timings scaled)', () => {
  let runtime: OfflineRuntime;
  let dlq: DeadLetters;

  runtimeForSuite(
    (started) => {
      runtime = started;
      dlq = new DeadLetters(runtime);
    },
    { timings: fastTimings, reset: 'chaos-and-breakers' },
  );

  const blockReceives = (...others: unknown[]) => runtime.blockReceives(...others);

  /** Accepted writes (202) queued during a PutItem outage, and in the queue. */
  async function queueAcceptedWrites(ids: string[]) {
    await runtime.chaos('POST', 'faults', [dynamoDown]);
    for (const id of ids) expect((await runtime.post(product(id))).status).toBe(202);
  }

  describe('finding 2: a write DynamoDB refuses is retried like one it cannot take now, never dead-lettered for that', () => {
    it.each(dynamoRefusals)(
      'an accepted write refused for a while with %s reaches the table once DynamoDB takes it',
      async (code) => {
        const id = `refused-${code}`;
        await queueAcceptedWrites([id]);
        await runtime.chaos('POST', 'faults', [{ service: 'dynamodb', operation: 'PutItem', error: { statusCode: 400, code } }]);
        await eventually('several receives, each refused', async () => linesAbout(runtime, id, REFUSED).length >= 3, 30_000);
        await runtime.chaos('POST', 'faults', []);

        expect(await eventually(`${id} in the table`, () => runtime.item(id), 30_000)).toMatchObject({ name: { S: 'Guarded' } });
        await dlq.collect();
        expect(dlq.ids()).not.toContain(id);
        const refusals = linesAbout(runtime, id, REFUSED);
        expect(refusals.length).toBeGreaterThanOrEqual(1);
        expect(refusals[0]).toMatchObject({ error: expect.stringContaining('simulated fault') });
      },
      60_000,
    );

    it('keeps retrying accepted writes DynamoDB refuses receive after receive; they land once it takes them, none is dead-lettered', async () => {
      const ids = Array.from({ length: 5 }, (_, i) => `refused-long-${i}`);
      await runtime.chaos('POST', 'faults', [{ service: 'dynamodb', operation: 'PutItem', error: { statusCode: 400, code: 'ValidationException' } }]);
      for (const id of ids) expect((await runtime.post(product(id))).status).toBe(202);
      // A fault that outlasts many receives (but not the retry window), unless a write is dead-lettered first.
      await eventually(
        'every write refused on 8 receives, or one in the DLQ',
        async () =>
          ids.every((id) => linesAbout(runtime, id, REFUSED).length >= 8) ||
          (await dlq.collect()).some((message) => ids.some((id) => message.Body?.includes(`"${id}"`))),
        60_000,
      );
      await runtime.chaos('POST', 'faults', []);

      await eventually('the queue drained', () => runtime.drained(), 30_000);
      await dlq.collect();
      expect(dlq.ids().filter((id) => ids.includes(id))).toEqual([]);
      const missing: string[] = [];
      for (const id of ids) if ((await runtime.item(id)) === undefined) missing.push(id);
      expect(missing).toEqual([]);
    }, 120_000);
  });

  describe('finding 3: the retry Lambda trusts only what the product Lambda could have written', () => {
    it.each([
      ['a future updatedAt (year 2100)', 'bound-future', { updatedAt: 4_102_444_800_000 }, /updatedAt.*future/],
      ['an updatedAt ten minutes ahead', 'bound-skew', { updatedAt: Date.now() + 10 * 60_000 }, /updatedAt.*future/],
      ['an absurdly old updatedAt', 'bound-old', { updatedAt: 1 }, /updatedAt.*old/],
      ['a requestId the product Lambda never writes', 'bound-request', { requestId: 'zzzz-wins-every-tie' }, /requestId/],
    ])(
      'rejects a CLI-sent message with %s to the DLQ with a reason; a later POST to that id is stored',
      async (_label, id, override, reason) => {
        await cliSend(runtime, JSON.stringify(write(id, { name: 'Forged', ...override })));

        await eventually('the message handled', () => runtime.drained());

        // A later write to that id is stored, not silently discarded behind the forged one.
        expect((await runtime.post(product(id, { name: 'Later' }))).status).toBe(200);
        expect(await runtime.item(id)).toMatchObject({ name: { S: 'Later' } });

        const rejected = await dlq.find(`"${id}"`);
        expect(attribute(rejected, 'reason')).toMatch(reason);
        expect(attribute(rejected, 'reasonCode')).toBe('invalid-message');
      },
      40_000,
    );

    it('still applies a CLI-sent write the product Lambda could have produced', async () => {
      await cliSend(runtime, JSON.stringify(write('bound-ok', { updatedAt: Date.now() + 60_000 })));
      expect(await eventually('bound-ok in the table', () => runtime.item('bound-ok'))).toMatchObject({ name: { S: 'Guarded' } });
    });
  });

  describe('finding 8: each record of a concurrent batch logs with its own requestId', () => {
    it('every retry log line about a record carries that record’s requestId', async () => {
      const writes = Array.from({ length: 8 }, (_, i) => write(`log-${i}`));
      const expected = new Map(writes.map((w) => [w.id, w.requestId]));
      // Held back, then received together, and slowed so the records' processing interleaves.
      await blockReceives();
      for (const w of writes) await runtime.sqs.send(new SendMessageCommand({ QueueUrl: await runtime.queueUrl(names.queue), MessageBody: JSON.stringify(w) }));
      await runtime.chaos('POST', 'effects', { latency: 150 });
      await runtime.chaos('POST', 'faults', []);
      for (const w of writes) await eventually(`${w.id} in the table`, () => runtime.item(w.id));

      const lines = retryLogs(runtime).filter((line) => typeof line.productId === 'string' && expected.has(line.productId));
      expect(lines.filter((line) => line.message === 'Queued write applied')).toHaveLength(writes.length);
      // Several records of one invocation, so they really ran side by side.
      const invocations = new Map<string, number>();
      for (const line of lines) invocations.set(String(line.function_request_id), (invocations.get(String(line.function_request_id)) ?? 0) + 1);
      expect(Math.max(...invocations.values())).toBeGreaterThan(1);
      const wrong = lines.filter((line) => line.requestId !== expected.get(String(line.productId)));
      expect(wrong.map((line) => `${String(line.productId)}: ${String(line.requestId)}`)).toEqual([]);
    }, 40_000);
  });

  describe("finding 9: a poison message near the queues' size limit", () => {
    it('reaches the DLQ, truncated to fit, with its reason and its full size', async () => {
      const size = retryPath.maxMessageBytes - 64;
      const body = `{"id":"huge-poison","pad":"${'x'.repeat(size - 30)}`;
      await cliSend(runtime, body, { throughFile: true });

      const parked = await dlq.find('"huge-poison"');
      expect(attribute(parked, 'reason')).toMatch(/JSON/);
      expect(attribute(parked, 'reasonCode')).toBe('invalid-message');
      expect(attribute(parked, 'bodyTruncated')).toBe('true');
      expect(Number(attribute(parked, 'originalBodyBytes'))).toBe(Buffer.byteLength(body));
      expect(body.startsWith(parked.Body!.slice(0, 1000))).toBe(true);
      await eventually('the queue to drain', () => runtime.drained());
    }, 40_000);

    it('logs a failure to dead-letter, keeps the message, and dead-letters it once SQS takes it', async () => {
      await blockReceives();
      await runtime.sqs.send(new SendMessageCommand({ QueueUrl: await runtime.queueUrl(names.queue), MessageBody: '{"id":"dlq-refused", broken' }));
      await runtime.chaos('POST', 'faults', [{ service: 'sqs', operation: 'SendMessage' }]);
      await eventually(
        'the failed dead-letter in the log',
        async () => retryLogs(runtime).some((line) => String(line.message).includes('Could not move') && String(line.reason).includes('JSON')) || undefined,
      );
      await runtime.chaos('POST', 'faults', []);
      const parked = await dlq.find('"dlq-refused"');
      expect(attribute(parked, 'reason')).toMatch(/JSON/);
    }, 40_000);
  });
});

describe('finding 6: a long PutItem + SendMessage outage, with the redrive threshold scaled to 6 receives', () => {
  const maxReceiveCount = 6;
  let runtime: OfflineRuntime;
  runtimeForSuite((started) => (runtime = started), { timings: { ...fastTimings, maxReceiveCount } });

  it('loses no accepted write: each reaches the table, none is dead-lettered, every failed re-queue is logged', async () => {
    const ids = ['combined-1', 'combined-2', 'combined-3'];
    await runtime.chaos('POST', 'faults', [dynamoDown]);
    for (const id of ids) expect((await runtime.post(product(id))).status).toBe(202);
    await eventually('the writes in the queue', async () => (await runtime.depth(names.queue)) >= ids.length);
    await runtime.chaos('POST', 'faults', [dynamoDown, { service: 'sqs', operation: 'SendMessage' }]);
    // The outage lasts until each write's re-queue has failed on the last receive before the
    // threshold (each failure hides it twice as long as the one before: about 15 s).
    const lastBeforeThreshold = maxReceiveCount - 1;
    await eventually(
      `every write's re-queue refused on receive ${lastBeforeThreshold}`,
      async () => ids.every((id) => linesAbout(runtime, id, COULD_NOT_REQUEUE).some((line) => line.receiveCount === lastBeforeThreshold)),
      60_000,
    );
    await runtime.chaos('POST', 'faults', []);

    for (const id of ids) await eventually(`${id} in the table`, () => runtime.item(id), 40_000);
    const dlq = new DeadLetters(runtime);
    expect(await dlq.collect()).toEqual([]);
    const failedRequeues = retryLogs(runtime).filter((line) => String(line.message).startsWith('Could not re-queue'));
    expect(failedRequeues.length).toBeGreaterThanOrEqual(ids.length);
    expect(failedRequeues.every((line) => typeof line.requestId === 'string' && line.error !== undefined)).toBe(true);
  }, 120_000);
});

describe('an event source mapping without ReportBatchItemFailures (the AWS CLI’s default)', () => {
  let runtime: OfflineRuntime;
  let lambda: LambdaClient;
  runtimeForSuite(
    (started) => {
      runtime = started;
      lambda = new LambdaClient(sdkConfig(started.url));
    },
    { timings: fastTimings, reset: 'chaos-and-breakers' },
  );
  afterAll(() => lambda?.destroy());
  // Back to the deployed setting, so each case starts from the stack's mapping.
  afterEach(async () => {
    const { UUID } = await retryMapping(lambda);
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID, FunctionResponseTypes: ['ReportBatchItemFailures'] }));
  });

  const ways: Array<[string, () => Promise<string>]> = [
    [
      'recreated with the AWS CLI and no --function-response-types',
      async () => {
        const { UUID, EventSourceArn = '' } = await retryMapping(lambda);
        await lambda.send(new DeleteEventSourceMappingCommand({ UUID }));
        const created = await awsCli(
          runtime.url,
          'lambda',
          'create-event-source-mapping',
          '--function-name',
          names.retryFunction,
          '--event-source-arn',
          EventSourceArn,
        );
        return (JSON.parse(created) as { UUID: string }).UUID;
      },
    ],
    [
      'updated with FunctionResponseTypes []',
      async () => {
        const { UUID = '' } = await retryMapping(lambda);
        await lambda.send(new UpdateEventSourceMappingCommand({ UUID, FunctionResponseTypes: [] }));
        return UUID;
      },
    ],
  ];

  it.each(ways)(
    'loses no accepted write when the mapping is %s during a DynamoDB outage',
    async (how, reconfigure) => {
      const uuid = await reconfigure();
      await eventually('the mapping enabled without ReportBatchItemFailures', async () => {
        const mapping = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
        return mapping.State === 'Enabled' && (mapping.FunctionResponseTypes ?? []).length === 0;
      });

      await runtime.chaos('POST', 'faults', [dynamoDown]);
      const ids = Array.from({ length: 20 }, (_, i) => `unreported-${how.split(' ')[0]}-${i}`);
      for (const id of ids) expect((await runtime.post(product(id))).status).toBe(202);
      // Each write is received while DynamoDB is down; then it comes back for another receive, unless the mapping deleted it.
      await eventually('every write received during the outage', async () => ids.every((id) => linesAbout(runtime, id, NOT_APPLIED).length >= 1));
      await eventually(
        'every write received again, or the queue empty',
        async () => ids.every((id) => linesAbout(runtime, id, NOT_APPLIED).length >= 2) || (await runtime.drained()),
      );
      await runtime.chaos('POST', 'faults', []);

      await eventually('the queue drained', () => runtime.drained(), 30_000);
      const missing: string[] = [];
      for (const id of ids) if ((await runtime.item(id)) === undefined) missing.push(id);
      expect(missing).toEqual([]);
      expect(await runtime.depth(names.deadLetterQueue)).toBe(0);
      // The failed invocations say why, as a warning of the retry function.
      expect(retryLogs(runtime).some((line) => line.level === 'WARN' && /records not done yet; the invocation fails/.test(String(line.message)))).toBe(true);
    },
    90_000,
  );
});
