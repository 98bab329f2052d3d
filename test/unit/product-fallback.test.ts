/**
 * The product Lambda's fallback switch (WRITE_FALLBACK): on by default; off, a write DynamoDB
 * fails is lost with a failed invocation (API Gateway's 502), nothing published, as in the
 * tutorial's application before the fix. Reads and successful writes do not change.
 */
import { DynamoDBServiceException, GetItemCommand, InternalServerError, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import 'aws-sdk-client-mock-jest';
import { env } from '#spec';
import { loadConfig } from '../../lambdas/config';
import { WriteLostError } from '../../lambdas/product/handler';
import { QUEUED_MESSAGE, STORED_MESSAGE } from '../../spec/api-messages';
import { WRITE_LOST_MESSAGE } from '../../lambdas/product/save';
import { apiEvent, lambdaContext, postProduct, sampleProduct } from '../support/events';
import { captureLogs, restoreLogs } from '../support/log-capture';
import { dynamo, meta, newHandler, resetMocks, sns } from '../support/product-handler';

const fallbackOff = (overrides: Record<string, string> = {}) => newHandler({ [env.writeFallback]: 'off', ...overrides });

afterEach(restoreLogs);

beforeEach(resetMocks);

describe('WRITE_FALLBACK in the configuration', () => {
  it('is "on" when unset or empty, and takes "on" and "off"', () => {
    expect(loadConfig({}, []).writeFallback).toBe('on');
    expect(loadConfig({ [env.writeFallback]: '' }, []).writeFallback).toBe('on');
    expect(loadConfig({ [env.writeFallback]: 'on' }, []).writeFallback).toBe('on');
    expect(loadConfig({ [env.writeFallback]: 'off' }, []).writeFallback).toBe('off');
  });

  it.each(['OFF', 'false', '0', 'disabled', ' off'])('refuses %j at start-up with a message naming the variable and the values it takes', (value) => {
    expect(() => loadConfig({ [env.writeFallback]: value }, [])).toThrow(
      `Environment variable WRITE_FALLBACK must be "on" or "off" (or unset, meaning "on"), got "${value}"`,
    );
  });
});

describe('with the fallback off', () => {
  const down = () => new InternalServerError({ message: 'down', ...meta(500) });

  it('fails the invocation when DynamoDB fails, publishes nothing and logs one line saying the write was lost', async () => {
    dynamo.on(PutItemCommand).rejects(down());
    const logs = captureLogs();
    const invocation = fallbackOff()(postProduct(sampleProduct()), lambdaContext());

    await expect(invocation).rejects.toThrow(WriteLostError);
    await expect(invocation).rejects.toThrow('DynamoDB failed and the fallback is off: the write of product "prod-1003" is lost');
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    const lost = logs.lines().filter((line) => line.message === WRITE_LOST_MESSAGE);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ level: 'ERROR', productId: 'prod-1003', cause: 'unavailable', updatedAt: expect.any(Number) });
    // Not the fixed application's lines about queueing.
    expect(logs.lines().some((line) => String(line.message).includes('queueing'))).toBe(false);
  });

  it('fails the invocation when DynamoDB refuses a valid product (where the fixed application queues it)', async () => {
    dynamo
      .on(PutItemCommand)
      .rejects(
        new DynamoDBServiceException({ name: 'ValidationException', $fault: 'client', message: 'Operation failed due to a simulated fault', ...meta(400) }),
      );
    await expect(fallbackOff()(postProduct(sampleProduct()), lambdaContext())).rejects.toThrow(WriteLostError);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it('fails the invocation when the open breaker keeps DynamoDB from being called', async () => {
    dynamo.on(PutItemCommand).rejects(down());
    // The logger reads its level when the handler is created.
    const logs = captureLogs();
    const handler = fallbackOff({ BREAKER_FAILURE_THRESHOLD: '1', BREAKER_COOLDOWN_MS: '60000' });
    await expect(handler(postProduct(sampleProduct()), lambdaContext())).rejects.toThrow(WriteLostError);
    await expect(handler(postProduct(sampleProduct()), lambdaContext())).rejects.toThrow(WriteLostError);
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(1);
    expect(
      logs
        .lines()
        .filter((line) => line.message === WRITE_LOST_MESSAGE)
        .map((line) => line.cause),
    ).toEqual(['unavailable', 'breaker-open']);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it('still stores (200), refuses bad input (400) and answers reads as before', async () => {
    dynamo.on(PutItemCommand).resolves({});
    dynamo.on(GetItemCommand).resolves({ Item: { id: { S: 'prod-1003' }, name: { S: 'Widget' }, price: { N: '1' }, description: { S: '' } } });
    const handler = fallbackOff();
    expect(await handler(postProduct(sampleProduct()), lambdaContext())).toMatchObject({ statusCode: 200, body: STORED_MESSAGE });
    expect((await handler(postProduct({ id: 'x' }), lambdaContext())).statusCode).toBe(400);
    expect((await handler(apiEvent({ method: 'GET', query: { id: 'prod-1003' } }), lambdaContext())).statusCode).toBe(200);
  });
});

it('with the fallback on (the default), the same failure is queued (202)', async () => {
  dynamo.on(PutItemCommand).rejects(new InternalServerError({ message: 'down', ...meta(500) }));
  expect(await newHandler()(postProduct(sampleProduct()), lambdaContext())).toMatchObject({ statusCode: 202, body: QUEUED_MESSAGE });
  expect(await newHandler({ [env.writeFallback]: 'on' })(postProduct(sampleProduct()), lambdaContext())).toMatchObject({ statusCode: 202 });
  expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
});
