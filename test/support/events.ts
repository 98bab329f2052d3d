/** Builders for the events and context the Lambda runtime hands a handler. */
import { localstack, names, region } from '#spec';
import type { APIGatewayProxyEvent, Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { randomUUID } from 'node:crypto';

export function lambdaContext(timeoutMs = 20_000): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'test-function',
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${localstack.accountId}:function:test-function`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/test-function',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface ApiRequest {
  method?: string;
  body?: string | null;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  path?: string;
  base64?: boolean;
}

export function apiEvent({
  method = 'POST',
  body = null,
  headers = { 'Content-Type': 'application/json' },
  query,
  path = '/productApi',
  base64 = false,
}: ApiRequest = {}): APIGatewayProxyEvent {
  const requestId = randomUUID();
  return {
    resource: path,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: {},
    queryStringParameters: query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded: base64,
    requestContext: { requestId, stage: 'dev', httpMethod: method, path: `/dev${path}` } as APIGatewayProxyEvent['requestContext'],
  };
}

export const postProduct = (product: unknown, headers?: Record<string, string>) =>
  apiEvent({ method: 'POST', body: JSON.stringify(product), ...(headers ? { headers } : {}) });

export function sqsRecord(body: string, receiveCount = 1): SQSRecord {
  const messageId = randomUUID();
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(Date.now()),
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${region}:${localstack.accountId}:${names.queue}`,
    awsRegion: region,
  };
}

export const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

export const sampleProduct = (overrides: Record<string, unknown> = {}) => ({
  id: 'prod-1003',
  name: 'Super Widget',
  price: '29.99',
  description: 'A versatile widget.',
  ...overrides,
});

export const sampleWrite = (overrides: Record<string, unknown> = {}) => ({
  id: 'prod-1003',
  name: 'Super Widget',
  price: 29.99,
  description: 'A versatile widget.',
  updatedAt: 1_700_000_000_000,
  requestId: 'req-1',
  ...overrides,
});
