/**
 * The DynamoDB adapter keeps the product store's contract (domain/product-store.ts): DynamoDB's
 * errors reach the write and read paths as the store errors the contract declares, each carrying
 * DynamoDB's own error for the logs.
 */
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { names } from '#spec';
import { ValidationError } from '#domain/errors';
import { StoreRejected, StoreUnavailable, WriteNotNewer } from '#domain/product-store';
import { DynamoDbProductStore } from '#adapters/dynamodb-store';

const dynamo = mockClient(DynamoDBClient);
const store = () => new DynamoDbProductStore(new DynamoDBClient({}), names.table, 60);
const write = { id: 'prod-1', name: 'n', price: 1, description: '', updatedAt: 1_700_000_000_000, requestId: 'req-1' };
const signal = () => AbortSignal.timeout(5_000);
const serviceError = (name: string, status: number) =>
  new DynamoDBServiceException({ name, $fault: status >= 500 ? 'server' : 'client', message: `${name} (simulated)`, $metadata: { httpStatusCode: status } });
const failureOf = (call: Promise<unknown>) =>
  call.then(
    () => undefined,
    (error: unknown) => error,
  );

beforeEach(() => dynamo.reset());
afterAll(() => dynamo.restore());

describe('put', () => {
  it('tells a failed condition as WriteNotNewer, with the stored version DynamoDB returned', async () => {
    const Item = { id: { S: 'prod-1' }, updatedAt: { N: '1700000000005' }, requestId: { S: 'req-0' } };
    const condition = new ConditionalCheckFailedException({ message: 'The conditional request failed', Item, $metadata: { httpStatusCode: 400 } });
    dynamo.on(PutItemCommand).rejects(condition);
    const failure = await failureOf(store().put(write, store().horizon(), signal()));
    expect(failure).toBeInstanceOf(WriteNotNewer);
    expect(failure).toMatchObject({ stored: { updatedAt: 1_700_000_000_005, requestId: 'req-0' }, mayHaveLanded: false, cause: condition });
  });

  it('leaves the stored version undefined when the failed condition carries no item (a fault, or dynalite)', async () => {
    dynamo.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'simulated', $metadata: { httpStatusCode: 400 } }));
    const failure = await failureOf(store().put(write, store().horizon(), signal()));
    expect(failure).toBeInstanceOf(WriteNotNewer);
    expect((failure as WriteNotNewer).stored).toBeUndefined();
  });

  it.each(['ValidationException', 'SerializationException', 'ItemCollectionSizeLimitExceededException'])('tells %s as StoreRejected', async (name) => {
    const refusal = serviceError(name, 400);
    dynamo.on(PutItemCommand).rejects(refusal);
    const failure = await failureOf(store().put(write, store().horizon(), signal()));
    expect(failure).toBeInstanceOf(StoreRejected);
    expect(failure).toMatchObject({ cause: refusal });
  });

  it.each<[string, () => Error, boolean]>([
    ['an answered 500', () => serviceError('InternalServerError', 500), false],
    ['throttling', () => serviceError('ProvisionedThroughputExceededException', 400), false],
    ['a missing table', () => serviceError('ResourceNotFoundException', 400), false],
    ['a timeout (the put may still land)', () => Object.assign(new Error('Request timed out'), { name: 'TimeoutError' }), true],
    ['an abort (the put may still land)', () => Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }), true],
  ])('tells %s as StoreUnavailable, saying whether the put may have landed', async (_label, error, mayHaveLanded) => {
    dynamo.on(PutItemCommand).rejects(error());
    const failure = await failureOf(store().put(write, store().horizon(), signal()));
    expect(failure).toBeInstanceOf(StoreUnavailable);
    expect(failure).toMatchObject({ mayHaveLanded });
  });
});

describe('reads', () => {
  it.each([
    ['get', () => dynamo.on(GetItemCommand), () => store().get('prod-1', signal())],
    ['version', () => dynamo.on(GetItemCommand), () => store().version('prod-1', signal())],
    ['list', () => dynamo.on(ScanCommand), () => store().list(10, undefined, signal())],
  ] as const)(
    '%s tells an outage as StoreUnavailable, and a refusal (a failed condition included: only a fault answers it) as StoreRejected',
    async (_label, on, call) => {
      on().rejects(serviceError('InternalServerError', 500));
      expect(await failureOf(call())).toBeInstanceOf(StoreUnavailable);
      on().rejects(serviceError('ValidationException', 400));
      expect(await failureOf(call())).toBeInstanceOf(StoreRejected);
      on().rejects(new ConditionalCheckFailedException({ message: 'simulated', $metadata: { httpStatusCode: 400 } }));
      expect(await failureOf(call())).toBeInstanceOf(StoreRejected);
    },
  );

  it('never says a read may have landed', async () => {
    dynamo.on(GetItemCommand).rejects(Object.assign(new Error('Request timed out'), { name: 'TimeoutError' }));
    expect(await failureOf(store().get('prod-1', signal()))).toMatchObject({ mayHaveLanded: false });
  });

  it('refuses a page token it did not issue with a ValidationError, before calling DynamoDB', async () => {
    expect(await failureOf(store().list(10, '!!!', signal()))).toBeInstanceOf(ValidationError);
    expect(dynamo.calls()).toHaveLength(0);
  });
});
