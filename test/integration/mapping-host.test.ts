/** The event source mappings' pollers: settings, response types and enabled state from the control plane. */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSEvent } from 'aws-lambda';
import { EVENT_SOURCE_HEADER } from '../../offline/protocol/aws-wire';
import { MappingHost, queueUrlOf } from '../../offline/services/event-source-mappings/host';
import type { InvokeResult } from '../../offline/services/lambda/function';
import type { DeployedMapping, LambdaChange } from '../../offline/services/lambda/model';
import { eventually } from '../support/offline';

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:Jobs';
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:Worker';

/**
 * A stand-in SQS (JSON protocol): its queue's messages, the receives waiting now, what was
 * deleted, and who signed each receive.
 */
class FakeSqs {
  readonly messages: { MessageId: string; Body: string }[] = [];
  readonly deleted: string[] = [];
  readonly receives: { batch: number; key: string; eventSource: string; queueUrl: string }[] = [];
  waiting = 0;
  private readonly server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => void this.answer(req, res, JSON.parse(body) as Record<string, unknown>));
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse, input: Record<string, unknown>): Promise<void> {
    const send = (output: unknown) => {
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(output));
    };
    const operation = String(req.headers['x-amz-target']).split('.').pop();
    if (operation === 'DeleteMessageBatch') {
      const entries = input.Entries as { Id: string; ReceiptHandle: string }[];
      this.deleted.push(...entries.map((entry) => entry.ReceiptHandle));
      return send({ Successful: entries.map((entry) => ({ Id: entry.Id })), Failed: [] });
    }
    const batch = Number(input.MaxNumberOfMessages);
    this.receives.push({
      batch,
      key: /Credential=([^/]+)\//.exec(String(req.headers.authorization))?.[1] ?? '',
      eventSource: String(req.headers[EVENT_SOURCE_HEADER]),
      queueUrl: String(input.QueueUrl),
    });
    // A long poll: held until a message is there, the wait is over, or the poller hangs up.
    this.waiting += 1;
    const until = Date.now() + Number(input.WaitTimeSeconds) * 1000;
    let open = true;
    res.once('close', () => (open = false));
    while (open && this.messages.length === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    this.waiting -= 1;
    const taken = this.messages.splice(0, batch);
    send({
      Messages: taken.map((message) => ({
        ...message,
        ReceiptHandle: message.MessageId,
        Attributes: {},
        MD5OfBody: createHash('md5').update(message.Body).digest('hex'),
      })),
    });
  }
}

/** The control plane, reduced to its mappings and their changes. */
class Source {
  readonly byId = new Map<string, DeployedMapping>();
  private readonly listeners = new Set<(change: LambdaChange) => void>();
  mappings = () => [...this.byId.values()];
  onChange(listener: (change: LambdaChange) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  put(mapping: DeployedMapping, change: 'created' | 'updated') {
    this.byId.set(mapping.uuid, mapping);
    for (const listener of this.listeners) listener({ kind: 'mapping', change, mapping });
  }
  delete(uuid: string) {
    const mapping = this.byId.get(uuid)!;
    this.byId.delete(uuid);
    for (const listener of this.listeners) listener({ kind: 'mapping', change: 'deleted', mapping });
  }
}

const mapping = (overrides: Partial<DeployedMapping> = {}): DeployedMapping => ({
  uuid: 'a1b2c3d4-0000-0000-0000-000000000000',
  arn: 'arn:aws:lambda:us-east-1:000000000000:event-source-mapping:a1b2c3d4-0000-0000-0000-000000000000',
  eventSourceArn: QUEUE_ARN,
  functionArn: FUNCTION_ARN,
  batchSize: 3,
  maximumBatchingWindowInSeconds: 0,
  functionResponseTypes: ['ReportBatchItemFailures'],
  maximumConcurrency: 2,
  enabled: true,
  lastModified: 0,
  ...overrides,
});

let sqs: FakeSqs;
let endpointUrl: string;
let source: Source;
let host: MappingHost | undefined;
/** What the function does with each batch; every batch it got. */
let handle: (event: SQSEvent) => InvokeResult;
let batches: string[][];

const credentials = { accessKeyId: 'ASIAROLE', secretAccessKey: 'secret', sessionToken: 'token', expiration: new Date(Date.now() + 3_600_000) };
const start = () =>
  (host = new MappingHost({
    source,
    functions: {
      invoke: (arn, event) => {
        expect(arn).toBe(FUNCTION_ARN);
        const records = (event as SQSEvent).Records;
        batches.push(records.map((record) => record.body));
        return Promise.resolve(handle(event as SQSEvent));
      },
      credentials: () => credentials,
    },
    endpointUrl,
    pollWaitSeconds: 1,
    log: () => undefined,
  }));
const send = (...bodies: string[]) => sqs.messages.push(...bodies.map((body) => ({ MessageId: body, Body: body })));
const ok = (result: unknown = undefined): InvokeResult => ({ ok: true, result, requestId: 'r' });

beforeEach(async () => {
  sqs = new FakeSqs();
  endpointUrl = await sqs.listen();
  source = new Source();
  batches = [];
  handle = () => ok();
});

afterEach(async () => {
  await host?.stop();
  host = undefined;
  await sqs.close();
});

it('builds LocalStack’s queue URL from the queue ARN', () => {
  expect(queueUrlOf(QUEUE_ARN, 'http://127.0.0.1:4566')).toEqual({
    queueUrl: 'http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/Jobs',
    region: 'us-east-1',
  });
});

it('polls with as many pollers as the maximum concurrency (five when unset), its batch size, the role’s credentials and the event source mark', async () => {
  source.put(mapping({ maximumConcurrency: 2 }), 'created');
  start();
  await eventually('two long polls', async () => sqs.waiting === 2);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(sqs.waiting).toBe(2);
  expect(sqs.receives[0]).toEqual({ batch: 3, key: 'ASIAROLE', eventSource: 'Worker', queueUrl: queueUrlOf(QUEUE_ARN, endpointUrl).queueUrl });

  source.put(mapping({ maximumConcurrency: undefined, batchSize: 7 }), 'updated');
  await eventually('five long polls of 7', async () => sqs.waiting === 5 && sqs.receives.at(-1)?.batch === 7);
});

it('honours batchItemFailures only with ReportBatchItemFailures; a failed invocation deletes nothing', async () => {
  handle = (event) => ok({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] });
  source.put(mapping({ maximumConcurrency: 2, batchSize: 10 }), 'created');
  start();
  send('m1', 'm2');
  await eventually('a batch handled', async () => sqs.deleted.length > 0);
  expect(sqs.deleted).toEqual(['m2']);

  source.put(mapping({ maximumConcurrency: 2, batchSize: 10, functionResponseTypes: [] }), 'updated');
  // The old pollers end after their current long poll (1 s), with the old settings.
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  send('m3', 'm4');
  await eventually('the whole batch deleted', async () => sqs.deleted.length === 3);
  expect(sqs.deleted).toEqual(['m2', 'm3', 'm4']);

  handle = () => ({ ok: false, errorType: 'Error', errorMessage: 'boom', requestId: 'r' });
  send('m5');
  await eventually('the failing batch', async () => batches.some((batch) => batch.includes('m5')));
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(sqs.deleted).toEqual(['m2', 'm3', 'm4']);
});

it('stops polling at once when disabled, polls again when enabled, and stops for good when deleted', async () => {
  source.put(mapping(), 'created');
  start();
  await eventually('polling', async () => sqs.waiting === 2);

  source.put(mapping({ enabled: false }), 'updated');
  // The long polls in flight are abandoned at once, not waited out.
  await eventually('no poll waiting', async () => sqs.waiting === 0, 500);
  const receives = sqs.receives.length;
  send('while-disabled');
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  expect(sqs.receives.length).toBe(receives);
  expect(batches).toEqual([]);

  source.put(mapping({ enabled: true }), 'updated');
  await eventually('the message handled after re-enabling', async () => sqs.deleted.includes('while-disabled'));

  source.delete(mapping().uuid);
  await eventually('no poll waiting', async () => sqs.waiting === 0, 500);
  const after = sqs.receives.length;
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  expect(sqs.receives.length).toBe(after);
});
