/**
 * Telling a refused AWS call from one whose outcome is unknown, with real SDK clients (and their
 * own retries) against a local HTTP server that times out or answers with an error per attempt.
 */
import { localstack, names, region, retryGuards } from '#spec';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AttemptLog, recordClientAttempts, wasAnswered, withAttemptLog } from '#adapters/sdk-attempts';
import { CircuitBreaker } from '#resilience/breaker';
import { guardedPut } from '#resilience/guarded-put';
import { DynamoDbProductStore } from '#adapters/dynamodb-store';
import { scaled } from '../support/time-scale';

const topicArn = `arn:aws:sns:${region}:${localstack.accountId}:${names.topic}`;

type Reply = 'hang' | 500 | 'ok';
/**
 * How long an attempt may wait for an answer, and how long a hanging one is held: scaled
 * (time-scale.ts), since on a busy machine an answered attempt can itself take longer than 150 ms.
 */
const attemptTimeoutMs = scaled(150);
const hangMs = scaled(1_000);
let server: http.Server;
let endpoint: string;
let replies: Reply[] = [];
let received = 0;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const reply = replies[received] ?? 500;
      received += 1;
      if (reply === 'hang') {
        setTimeout(() => response.destroy(), hangMs);
        return;
      }
      const sns = String(request.headers['content-type']).includes('x-www-form-urlencoded');
      if (reply === 'ok') {
        if (sns) {
          response.writeHead(200, { 'Content-Type': 'text/xml' });
          response.end(
            '<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>',
          );
        } else {
          response.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' });
          response.end('{}');
        }
        return;
      }
      if (sns) {
        response.writeHead(500, { 'Content-Type': 'text/xml' });
        response.end(
          '<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>down</Message></Error><RequestId>r</RequestId></ErrorResponse>',
        );
      } else {
        response.writeHead(500, { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amzn-ErrorType': 'InternalServerError' });
        response.end('{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"down"}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = 0;
});

const clientConfig = () => ({
  region,
  endpoint,
  credentials: { accessKeyId: localstack.accessKey, secretAccessKey: localstack.secretKey },
  maxAttempts: 2,
  requestHandler: new NodeHttpHandler({ requestTimeout: attemptTimeoutMs, throwOnRequestTimeout: true }),
});
const write = { id: 'prod-1', name: 'n', price: 1, description: '', updatedAt: Date.now(), requestId: 'r-1' };
const put = () =>
  guardedPut(
    new DynamoDbProductStore(new DynamoDBClient(clientConfig()), names.table, retryGuards.clockSkewSeconds),
    new CircuitBreaker({ threshold: 5, cooldownMs: 1_000 }),
    write,
    () => AbortSignal.timeout(scaled(5_000)),
  );

describe('DynamoDB PutItem through guardedPut', () => {
  it('knows the put was refused when every attempt was answered with an error', async () => {
    replies = [500, 500];
    expect(await put()).toMatchObject({ kind: 'unavailable', mayHaveLanded: false });
    expect(received).toBe(2);
  });

  it('knows the outcome is unknown when an earlier attempt timed out, even though the last one was answered', async () => {
    replies = ['hang', 500];
    const outcome = await put();
    expect(outcome).toMatchObject({ kind: 'unavailable', mayHaveLanded: true });
    // The SDK's final error alone would say "answered with a 500".
    expect(wasAnswered((outcome as { error: unknown }).error)).toBe(true);
    expect(received).toBe(2);
  });

  it('reports a stored write when a retry succeeds', async () => {
    replies = ['hang', 'ok'];
    expect(await put()).toEqual({ kind: 'stored' });
  });
});

describe('SNS Publish through a client that records attempts', () => {
  const publish = async () => {
    const client = new SNSClient(clientConfig());
    recordClientAttempts(client);
    const log = new AttemptLog();
    const error = await withAttemptLog(log, () => client.send(new PublishCommand({ TopicArn: topicArn, Message: '{}' }))).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    return { log, error };
  };

  it('refused: every attempt answered', async () => {
    replies = [500, 500];
    const { log, error } = await publish();
    expect(error).toMatchObject({ $metadata: { httpStatusCode: 500 } });
    expect(log).toMatchObject({ attempts: 2, unanswered: 0 });
    expect(log.mayHaveLanded(error)).toBe(false);
  });

  it('unknown: one attempt timed out', async () => {
    replies = ['hang', 500];
    const { log, error } = await publish();
    expect(log).toMatchObject({ attempts: 2, unanswered: 1 });
    expect(log.mayHaveLanded(error)).toBe(true);
  });

  it('keeps concurrent calls apart', async () => {
    const client = new SNSClient(clientConfig());
    recordClientAttempts(client);
    replies = [500, 500, 500, 500];
    const logs = [new AttemptLog(), new AttemptLog()];
    const send = (log: AttemptLog) => withAttemptLog(log, () => client.send(new PublishCommand({ TopicArn: topicArn, Message: '{}' }))).catch(() => undefined);
    await Promise.all(logs.map(send));
    expect(logs.map((log) => log.attempts)).toEqual([2, 2]);
  });
});

describe('wasAnswered', () => {
  it.each<[string, unknown, boolean]>([
    ['a service error with a status code', { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }, true],
    ['a refused connection (never sent)', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), true],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError', $metadata: { attempts: 2 } }), false],
    ['an abort', Object.assign(new Error('aborted'), { name: 'AbortError' }), false],
    ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), false],
    ['not an error', undefined, false],
  ])('%s', (_label, error, answered) => {
    expect(wasAnswered(error)).toBe(answered);
  });
});
