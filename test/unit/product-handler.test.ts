/**
 * The product Lambda's POST: the write with its ordering condition, a failed condition confirmed
 * before it counts as superseded, and the fallback to SNS when DynamoDB fails. (product-http.test.ts:
 * bad input and GET; product-fallback.test.ts: WRITE_FALLBACK.)
 */
import {
  ConditionalCheckFailedException,
  DynamoDBServiceException,
  GetItemCommand,
  InternalServerError,
  ProvisionedThroughputExceededException,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { names } from '#spec';
import { PublishCommand, SNSServiceException } from '@aws-sdk/client-sns';
import 'aws-sdk-client-mock-jest';
import { NOT_SAVED_MESSAGE, OUTCOME_UNKNOWN_MESSAGE, QUEUED_MESSAGE, STORED_MESSAGE } from '../../spec/api-messages';
import { lambdaContext, postProduct, sampleProduct } from '../support/events';
import { dynamo, meta, newHandler, resetMocks, sns } from '../support/product-handler';

beforeEach(resetMocks);

const transientErrors: Array<[string, () => Error]> = [
  ['a 500 InternalServerError', () => new InternalServerError({ message: 'boom', ...meta(500) })],
  [
    'the Chaos API fault 500 SomethingWentWrong',
    () => new DynamoDBServiceException({ name: 'SomethingWentWrong', $fault: 'server', message: 'Operation failed due to a simulated fault', ...meta(500) }),
  ],
  ['a 503 ServiceUnavailable', () => new DynamoDBServiceException({ name: 'ServiceUnavailable', $fault: 'server', message: 'unavailable', ...meta(503) })],
  ['throttling', () => new ProvisionedThroughputExceededException({ message: 'slow down', ...meta(400) })],
  ['a request timeout', () => Object.assign(new Error('Request timed out'), { name: 'TimeoutError' })],
  ['an aborted call at the deadline', () => Object.assign(new Error('This operation was aborted'), { name: 'AbortError' })],
  ['a refused connection', () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' })],
  [
    'a missing table (misconfiguration, not the client)',
    () => new DynamoDBServiceException({ name: 'ResourceNotFoundException', $fault: 'client', message: 'no table', ...meta(400) }),
  ],
];

describe('POST /productApi', () => {
  it('stores a valid product with the ordering condition and answers the tutorial sentence', async () => {
    dynamo.on(PutItemCommand).resolves({});
    const result = await newHandler()(postProduct(sampleProduct({ price: '49.99' })), lambdaContext());

    expect(result).toMatchObject({ statusCode: 200, body: STORED_MESSAGE });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    const input = dynamo.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(input.TableName).toBe(names.table);
    expect(input.Item).toMatchObject({ id: { S: 'prod-1003' }, price: { N: '49.99' }, name: { S: 'Super Widget' } });
    expect(Number(input.Item!.updatedAt!.N)).toBeGreaterThan(Date.now() - 5_000);
    expect(input.ConditionExpression).toContain('updatedAt < :t');
    expect(input.ExpressionAttributeValues![':t']).toEqual(input.Item!.updatedAt);
  });

  it('accepts a JSON number price and stores it as a DynamoDB number', async () => {
    dynamo.on(PutItemCommand).resolves({});
    await newHandler()(postProduct(sampleProduct({ price: 12.5 })), lambdaContext());
    expect(dynamo.commandCalls(PutItemCommand)[0]!.args[0].input.Item!.price).toEqual({ N: '12.5' });
  });

  it('gives two writes from one instance in the same millisecond distinct, increasing updatedAt', async () => {
    dynamo.on(PutItemCommand).resolves({});
    const handler = newHandler();
    await Promise.all([handler(postProduct(sampleProduct()), lambdaContext()), handler(postProduct(sampleProduct()), lambdaContext())]);
    const [a, b] = dynamo.commandCalls(PutItemCommand).map((call) => Number(call.args[0].input.Item!.updatedAt!.N));
    expect(b).toBeGreaterThan(a!);
  });

  it('asks DynamoDB for the stored item when the condition fails', async () => {
    dynamo.on(PutItemCommand).resolves({});
    await newHandler()(postProduct(sampleProduct()), lambdaContext());
    expect(dynamo.commandCalls(PutItemCommand)[0]!.args[0].input.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });

  describe('a ConditionalCheckFailedException is "superseded" only when the table really holds a write at least as new', () => {
    type PutInput = { Item?: Record<string, { S?: string; N?: string }> };
    const stored = (updatedAt: number, requestId = 'zzz') => ({
      id: { S: 'prod-1003' },
      name: { S: 'Stored' },
      price: { N: '1' },
      description: { S: '' },
      updatedAt: { N: String(updatedAt) },
      requestId: { S: requestId },
    });
    const conditionFailed = (Item?: Record<string, unknown>) =>
      new ConditionalCheckFailedException({ message: 'The conditional request failed', ...meta(400), ...(Item ? { Item: Item as never } : {}) });
    const written = (input: PutInput) => ({ updatedAt: Number(input.Item!.updatedAt!.N), requestId: input.Item!.requestId!.S! });

    it('answers 200 naming the newer write when the item returned with the failure is newer (no read, nothing queued), not "added/updated"', async () => {
      let updatedAt = 0;
      dynamo.on(PutItemCommand).callsFake((input: PutInput) => {
        updatedAt = written(input).updatedAt;
        throw conditionFailed(stored(updatedAt + 1));
      });
      const result = await newHandler()(postProduct(sampleProduct()), lambdaContext());
      expect(result.statusCode).toBe(200);
      expect(result.body).toBe(
        `Product "prod-1003" not changed: the table holds a newer write of it (updatedAt ${updatedAt + 1}; this write's is ${updatedAt}), ` +
          'and the write with the later updatedAt wins.',
      );
      expect(dynamo).not.toHaveReceivedCommand(GetItemCommand);
      expect(sns).not.toHaveReceivedCommand(PublishCommand);
    });

    it('answers 200 when the returned item is this very write (an earlier attempt landed)', async () => {
      dynamo.on(PutItemCommand).callsFake((input: PutInput) => {
        throw conditionFailed(input.Item);
      });
      expect(await newHandler()(postProduct(sampleProduct()), lambdaContext())).toMatchObject({ statusCode: 200, body: STORED_MESSAGE });
      expect(sns).not.toHaveReceivedCommand(PublishCommand);
    });

    it('queues (202) when the returned item is stamped beyond now + the clock skew bound: such a stamp is not newer, so the failure proves nothing', async () => {
      dynamo.on(PutItemCommand).callsFake((input: PutInput) => {
        throw conditionFailed(stored(written(input).updatedAt + 120_000));
      });
      // Two minutes ahead is within the default bound (300 s), beyond the configured one.
      const handler = newHandler({ RETRY_CLOCK_SKEW_SECONDS: '60' });
      expect(await handler(postProduct(sampleProduct()), lambdaContext())).toMatchObject({ statusCode: 202, body: QUEUED_MESSAGE });
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    });

    it('queues (202) when the returned item is older: the failure proves nothing', async () => {
      dynamo.on(PutItemCommand).callsFake((input: PutInput) => {
        throw conditionFailed(stored(written(input).updatedAt - 1));
      });
      expect(await newHandler()(postProduct(sampleProduct()), lambdaContext())).toMatchObject({ statusCode: 202, body: QUEUED_MESSAGE });
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    });

    it('without a returned item, confirms with a consistent read: newer → 200 saying so', async () => {
      let updatedAt = 0;
      dynamo.on(PutItemCommand).callsFake((input: PutInput) => {
        updatedAt = written(input).updatedAt;
        throw conditionFailed();
      });
      dynamo.on(GetItemCommand).callsFake(() => ({ Item: stored(updatedAt + 5) }));
      const result = await newHandler()(postProduct(sampleProduct()), lambdaContext());
      expect(result).toMatchObject({
        statusCode: 200,
        body: expect.stringContaining(`not changed: the table holds a newer write of it (updatedAt ${updatedAt + 5};`),
      });
      expect(dynamo.commandCalls(GetItemCommand)[0]!.args[0].input).toMatchObject({ Key: { id: { S: 'prod-1003' } }, ConsistentRead: true });
      expect(sns).not.toHaveReceivedCommand(PublishCommand);
    });

    it.each<[string, () => Record<string, unknown> | undefined]>([
      ['no item at all (an injected fault on a new id)', () => undefined],
      ['an older item', () => stored(1)],
      ['an item without ordering data', () => ({ id: { S: 'prod-1003' }, name: { S: 'x' } })],
      ['an item stamped beyond the horizon (in microseconds)', () => stored(Date.now() * 1000)],
    ])('without a returned item, queues (202) when the read shows %s', async (_label, item) => {
      dynamo.on(PutItemCommand).rejects(conditionFailed());
      dynamo.on(GetItemCommand).callsFake(() => ({ Item: item() }));
      expect(await newHandler()(postProduct(sampleProduct()), lambdaContext())).toMatchObject({ statusCode: 202, body: QUEUED_MESSAGE });
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    });

    it('queues (202) when the confirming read fails', async () => {
      dynamo.on(PutItemCommand).rejects(conditionFailed());
      dynamo.on(GetItemCommand).rejects(new InternalServerError({ message: 'down', ...meta(500) }));
      expect(await newHandler()(postProduct(sampleProduct()), lambdaContext())).toMatchObject({ statusCode: 202, body: QUEUED_MESSAGE });
    });

    it('counts an unexplained condition failure towards the breaker', async () => {
      dynamo.on(PutItemCommand).rejects(conditionFailed());
      dynamo.on(GetItemCommand).resolves({});
      const handler = newHandler({ BREAKER_FAILURE_THRESHOLD: '2', BREAKER_COOLDOWN_MS: '60000' });
      for (let i = 0; i < 3; i += 1) expect((await handler(postProduct(sampleProduct()), lambdaContext())).statusCode).toBe(202);
      expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(2);
    });
  });

  it.each(transientErrors)('queues the write through SNS on %s and answers 202', async (_label, error) => {
    dynamo.on(PutItemCommand).rejects(error());
    const result = await newHandler()(postProduct(sampleProduct()), lambdaContext());

    expect(result).toMatchObject({ statusCode: 202, body: QUEUED_MESSAGE });
    const publish = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(publish.TopicArn).toBe(process.env.TOPIC_ARN);
    const message = JSON.parse(publish.Message!);
    expect(message).toMatchObject({ id: 'prod-1003', name: 'Super Widget', price: 29.99, description: 'A versatile widget.' });
    expect(message.updatedAt).toBe(Number(dynamo.commandCalls(PutItemCommand)[0]!.args[0].input.Item!.updatedAt!.N));
    expect(typeof message.requestId).toBe('string');
  });

  describe('when SNS fails too: 503 with Retry-After, saying only what is known', () => {
    const snsDown = () => new SNSServiceException({ name: 'InternalError', $fault: 'server', message: 'down', ...meta(500) });
    const timedOut = () => Object.assign(new Error('Request timed out'), { name: 'TimeoutError' });
    const aborted = () => Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
    const answered500 = () => new InternalServerError({ message: 'down', ...meta(500) });
    const refusedConnection = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' });

    it.each<[string, () => Error, () => Error, string]>([
      ['DynamoDB and SNS answered with failures', answered500, snsDown, NOT_SAVED_MESSAGE],
      ['DynamoDB refused the connection, SNS answered a failure', refusedConnection, snsDown, NOT_SAVED_MESSAGE],
      ['DynamoDB timed out (the put may still land)', timedOut, snsDown, OUTCOME_UNKNOWN_MESSAGE],
      ['the DynamoDB call was aborted at its budget', aborted, snsDown, OUTCOME_UNKNOWN_MESSAGE],
      ['SNS timed out (the message may still be delivered)', answered500, timedOut, OUTCOME_UNKNOWN_MESSAGE],
      ['SNS was aborted at the deadline', answered500, aborted, OUTCOME_UNKNOWN_MESSAGE],
    ])('%s', async (_label, dynamoError, snsError, expected) => {
      dynamo.on(PutItemCommand).rejects(dynamoError());
      sns.on(PublishCommand).rejects(snsError());
      const result = await newHandler()(postProduct(sampleProduct()), lambdaContext());

      expect(result.statusCode).toBe(503);
      expect(result.headers!['Retry-After']).toMatch(/^\d+$/);
      expect(JSON.parse(result.body).message).toBe(expected);
    });

    it('says "not saved" when the open breaker kept DynamoDB from being called and SNS answered a failure', async () => {
      dynamo.on(PutItemCommand).rejects(answered500());
      sns.on(PublishCommand).rejects(snsDown());
      const handler = newHandler({ BREAKER_FAILURE_THRESHOLD: '1', BREAKER_COOLDOWN_MS: '60000' });
      await handler(postProduct(sampleProduct()), lambdaContext());
      const result = await handler(postProduct(sampleProduct()), lambdaContext());
      expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(1);
      expect(JSON.parse(result.body).message).toBe(NOT_SAVED_MESSAGE);
    });
  });

  it.each(['ValidationException', 'SerializationException', 'ItemCollectionSizeLimitExceededException'])(
    'queues (202) a valid product DynamoDB refuses with %s, never a 400 blaming the client, and does not open the breaker',
    async (name) => {
      dynamo
        .on(PutItemCommand)
        .rejects(new DynamoDBServiceException({ name, $fault: 'client', message: 'Operation failed due to a simulated fault', ...meta(400) }));
      const handler = newHandler({ BREAKER_FAILURE_THRESHOLD: '1', BREAKER_COOLDOWN_MS: '60000' });
      for (let i = 0; i < 2; i += 1) {
        expect(await handler(postProduct(sampleProduct()), lambdaContext())).toMatchObject({ statusCode: 202, body: QUEUED_MESSAGE });
      }
      // One refused request is no outage: the next write still tries DynamoDB first.
      expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(2);
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    },
  );

  it('opens the circuit breaker after repeated failures and then queues without calling DynamoDB', async () => {
    dynamo.on(PutItemCommand).rejects(new InternalServerError({ message: 'down', ...meta(500) }));
    const handler = newHandler({ BREAKER_FAILURE_THRESHOLD: '2', BREAKER_COOLDOWN_MS: '60000' });
    for (let i = 0; i < 4; i += 1) {
      expect((await handler(postProduct(sampleProduct()), lambdaContext())).statusCode).toBe(202);
    }
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(2);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(4);
  });

  it('probes DynamoDB again once the breaker cooldown has passed', async () => {
    dynamo
      .on(PutItemCommand)
      .rejectsOnce(new InternalServerError({ message: 'down', ...meta(500) }))
      .resolves({});
    jest.useFakeTimers();
    try {
      const handler = newHandler({ BREAKER_FAILURE_THRESHOLD: '1', BREAKER_COOLDOWN_MS: '50' });
      expect((await handler(postProduct(sampleProduct()), lambdaContext())).statusCode).toBe(202);
      jest.advanceTimersByTime(49);
      expect((await handler(postProduct(sampleProduct()), lambdaContext())).statusCode).toBe(202);
      expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(1);
      jest.advanceTimersByTime(1);
      expect((await handler(postProduct(sampleProduct()), lambdaContext())).statusCode).toBe(200);
      expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
