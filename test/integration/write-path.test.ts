/**
 * The write path against real emulators with real SDK calls: dynalite (DynamoDB) in this
 * process, fauxqs (SNS + SQS) in a child process, and a fault proxy that takes DynamoDB down.
 */
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import dynalite from 'dynalite';
import { names, region, retryGuards, retryPath } from '#spec';
import { pollOnce } from '../../offline/services/event-source-mappings/poll';
import { createTable, type Messaging } from '../../offline/runtime/provision';
import { createHandler as createProductHandler } from '../../lambdas/product/handler';
import { QUEUED_MESSAGE, STORED_MESSAGE } from '../../spec/api-messages';
import { createHandler as createRetryHandler } from '../../lambdas/retry/handler';
import { CircuitBreaker } from '#resilience/breaker';
import { loadConfig } from '../../lambdas/config';
import { guardedPut } from '#resilience/guarded-put';
import type { ProductWrite } from '#domain/product';
import { DynamoDbProductStore } from '#adapters/dynamodb-store';
import { apiEvent, lambdaContext, postProduct, sampleProduct } from '../support/events';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { startTsChild, stopChild } from '../support/processes';
import { messagesIn } from '../../shared/app-client/queue-depth';
import { scaled } from '../support/time-scale';

let database: Server;
let messaging: ChildProcess | undefined;
let proxy: FaultProxy;
let dynamo: DynamoDBClient;
let sqs: SQSClient;
let queueUrl: string;
let queueArn: string;
let deadLetterQueueUrl: string;
let env: Record<string, string>;

beforeAll(async () => {
  database = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => database.listen(0, '127.0.0.1', resolve));
  const databaseUrl = `http://127.0.0.1:${(database.address() as AddressInfo).port}`;
  proxy = await startFaultProxy((database.address() as AddressInfo).port);
  const started = await startTsChild<Messaging & { port: number }>('test/support/messaging-child.ts', [JSON.stringify({ visibilityTimeoutSeconds: 30 })]);
  messaging = started.child;
  const messagingUrl = `http://127.0.0.1:${started.ready.port}`;

  dynamo = new DynamoDBClient({ region, endpoint: databaseUrl });
  sqs = new SQSClient({ region, endpoint: messagingUrl });
  await createTable(dynamo);
  ({ url: queueUrl, arn: queueArn } = started.ready.queue);
  deadLetterQueueUrl = started.ready.deadLetterQueue.url;

  // The SDK reads endpoints from the environment on every call, as it does inside Lambda.
  Object.assign(process.env, { AWS_ENDPOINT_URL_DYNAMODB: proxy.url, AWS_ENDPOINT_URL_SNS: messagingUrl, AWS_ENDPOINT_URL_SQS: messagingUrl });
  // What the stack gives the Lambdas, with timings scaled down so the test waits seconds, not minutes.
  env = {
    TABLE_NAME: names.table,
    TOPIC_ARN: started.ready.topicArn,
    QUEUE_URL: queueUrl,
    DLQ_URL: deadLetterQueueUrl,
    RETRY_BACKOFF_BASE_SECONDS: '1',
    RETRY_BACKOFF_CAP_SECONDS: '1',
    BREAKER_COOLDOWN_MS: '200',
  };
});

afterAll(async () => {
  await stopChild(messaging);
  await proxy?.close();
  await new Promise((resolve) => database?.close(resolve));
});

beforeEach(() => {
  proxy.mode = 'up';
});

const productHandler = (overrides: Record<string, string> = {}) => createProductHandler(loadConfig({ ...env, ...overrides }, ['tableName', 'topicArn']));
const retryHandler = () => createRetryHandler(loadConfig(env, ['tableName', 'queueUrl', 'deadLetterQueueUrl']));

const eventSource = () => ({ queueUrl, queueArn, region, batchSize: retryPath.batchSize, waitTimeSeconds: 1, reportBatchItemFailures: true });

const queueDepth = (url: string) => messagesIn(sqs, url);

/** Runs the event source mapping until the queue is empty, as Lambda would keep polling. */
async function drain(handler: ReturnType<typeof retryHandler>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await queueDepth(queueUrl)) > 0) {
    if (Date.now() > until) throw new Error('queue did not drain in time');
    await pollOnce(sqs, eventSource(), (event) => handler(event, lambdaContext(30_000)));
  }
}

async function stored(id: string) {
  const { Item } = await dynamo.send(new GetItemCommand({ TableName: names.table, Key: { id: { S: id } } }));
  return Item;
}

it('stores a product directly while DynamoDB is up', async () => {
  const result = await productHandler()(postProduct(sampleProduct({ id: 'prod-2004', price: '49.99' })), lambdaContext());
  expect(result).toMatchObject({ statusCode: 200, body: STORED_MESSAGE });
  expect(await stored('prod-2004')).toMatchObject({ id: { S: 'prod-2004' }, price: { N: '49.99' } });

  const read = await productHandler()(apiEvent({ method: 'GET', query: { id: 'prod-2004' } }), lambdaContext());
  expect(JSON.parse(read.body)).toMatchObject({ id: 'prod-2004', price: 49.99 });
});

it('queues a write during an outage and lands it through the retry handler once DynamoDB is back', async () => {
  proxy.mode = 'error';
  const result = await productHandler()(postProduct(sampleProduct({ id: 'prod-1003' })), lambdaContext());
  expect(result).toMatchObject({ statusCode: 202, body: QUEUED_MESSAGE });
  expect(await queueDepth(queueUrl)).toBe(1);

  // Still down: the retry handler fails the record and it stays queued, hidden for the backoff.
  const retry = retryHandler();
  expect(await pollOnce(sqs, eventSource(), (event) => retry(event, lambdaContext(30_000)))).toEqual({ received: 1, deleted: 0 });
  expect(await queueDepth(queueUrl)).toBe(1);
  expect(await stored('prod-1003')).toBeUndefined();

  proxy.mode = 'up';
  await drain(retry);
  expect(await stored('prod-1003')).toMatchObject({ name: { S: 'Super Widget' }, price: { N: '29.99' } });
  expect(await queueDepth(deadLetterQueueUrl)).toBe(0);
});

it('never lets an older queued write overwrite a newer direct one', async () => {
  proxy.mode = 'error';
  const older = await productHandler()(postProduct(sampleProduct({ id: 'prod-7', name: 'Old name' })), lambdaContext());
  expect(older.statusCode).toBe(202);

  proxy.mode = 'up';
  const newer = await productHandler()(postProduct(sampleProduct({ id: 'prod-7', name: 'New name' })), lambdaContext());
  expect(newer.statusCode).toBe(200);

  await drain(retryHandler());
  expect((await stored('prod-7'))?.name).toEqual({ S: 'New name' });
  expect(await queueDepth(deadLetterQueueUrl)).toBe(0);
});

it('applies a redelivered write once: the second delivery is stale, not a second change', async () => {
  proxy.mode = 'error';
  expect((await productHandler()(postProduct(sampleProduct({ id: 'prod-8' })), lambdaContext())).statusCode).toBe(202);
  proxy.mode = 'up';
  const [message] = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, VisibilityTimeout: 0 }))).Messages ?? [];
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: message!.Body! }));

  await drain(retryHandler());
  const item = await stored('prod-8');
  expect(JSON.parse(message!.Body!).updatedAt).toBe(Number(item?.updatedAt?.N));
  expect(await queueDepth(deadLetterQueueUrl)).toBe(0);
});

it('answers inside its budget when DynamoDB hangs, by aborting the call and queueing', async () => {
  proxy.mode = 'hang';
  const handler = productHandler({ AWS_REQUEST_TIMEOUT_MS: '300', DYNAMODB_BUDGET_MS: '800' });
  const started = Date.now();
  const result = await handler(postProduct(sampleProduct({ id: 'prod-slow' })), lambdaContext());
  const elapsed = Date.now() - started;

  expect(result.statusCode).toBe(202);
  expect(elapsed).toBeLessThan(5_000); // a loose bound: without the abort this call would never return
  proxy.mode = 'up';
  await drain(retryHandler());
  expect(await stored('prod-slow')).toBeDefined();
});

it('moves a poison message to the DLQ at once, with its reason', async () => {
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"id": "broken"' }));
  await drain(retryHandler());

  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: deadLetterQueueUrl, MessageAttributeNames: ['All'] }));
  expect(Messages).toHaveLength(1);
  expect(Messages[0]!.Body).toBe('{"id": "broken"');
  expect(Messages[0]!.MessageAttributes?.reason?.StringValue).toMatch(/JSON/);
});

describe('guardedPut confirms a failed condition against the table', () => {
  const breaker = () => new CircuitBreaker({ threshold: 3, cooldownMs: 200 });
  const store = () => new DynamoDbProductStore(dynamo, names.table, retryGuards.clockSkewSeconds);
  const write = (id: string, updatedAt: number, requestId = 'req-1'): ProductWrite => ({ id, name: 'n', price: 1, description: '', updatedAt, requestId });

  it('a real condition failure over a newer write is stale (dynalite returns no item, so it reads one)', async () => {
    expect(await guardedPut(store(), breaker(), write('confirm-1', 2_000), () => AbortSignal.timeout(scaled(5_000)))).toEqual({ kind: 'stored' });
    const newer = { kind: 'stale', stored: { updatedAt: 2_000, requestId: 'req-1' } };
    expect(await guardedPut(store(), breaker(), write('confirm-1', 1_000), () => AbortSignal.timeout(scaled(5_000)))).toEqual(newer);
    // A redelivery of the applied write is done, not a second change.
    expect(await guardedPut(store(), breaker(), write('confirm-1', 2_000), () => AbortSignal.timeout(scaled(5_000)))).toEqual(newer);
    expect(Number((await stored('confirm-1'))?.updatedAt?.N)).toBe(2_000);
  });

  it('a ConditionalCheckFailedException the table does not explain is unavailable, not stale', async () => {
    // The Chaos API's fault on PutItem: the error without the item DynamoDB would return; GetItem works.
    const faulty = new DynamoDBClient({ region, endpoint: proxy.url });
    faulty.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'PutItemCommand') return next(args);
        throw new ConditionalCheckFailedException({ message: 'Operation failed due to a simulated fault', $metadata: { httpStatusCode: 400 } });
      },
      { step: 'initialize', name: 'injectConditionalCheckFailed' },
    );
    const outcome = await guardedPut(new DynamoDbProductStore(faulty, names.table, retryGuards.clockSkewSeconds), breaker(), write('confirm-2', 3_000), () =>
      AbortSignal.timeout(scaled(5_000)),
    );
    expect(outcome).toMatchObject({ kind: 'unavailable', mayHaveLanded: false });
    expect(await stored('confirm-2')).toBeUndefined();
  });
});
