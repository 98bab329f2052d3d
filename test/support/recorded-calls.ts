/**
 * The AWS calls of a piece of code, recorded as the AWS SDK v3 sends them (each client answers
 * from a recorder, without a network) and identified as the edge identifies a call, with the
 * authorizations IAM needs for each; and the ARNs, URLs and names of the stack they name.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import type { HttpRequest, HttpResponse } from '@smithy/types';
import { localstack, names, region } from '#spec';
import { authorizationOf, type Authorization, type AuthorizedCall } from '../../offline/services/iam/actions';
import { signingScope } from '../../offline/protocol/service';
import { arn, queueUrlAt } from './clients';

export const accountId = localstack.accountId;
export const table = arn('dynamodb', `table/${names.table}`);
export const queue = arn('sqs', names.queue);
export const deadLetterQueue = arn('sqs', names.deadLetterQueue);
export const topic = arn('sns', names.topic);
export const logGroup = (fn: string) => arn('logs', `log-group:/aws/lambda/${fn}`);
export const stream = '2026/11/27/[$LATEST]0123456789abcdef';
export const logStream = (fn: string) => `${logGroup(fn)}:log-stream:${stream}`;
// The queue URLs the functions get, in LocalStack's host form (functionEnvironment).
export const queueUrl = queueUrlAt('http://127.0.0.1:4566', names.queue);
export const deadLetterQueueUrl = queueUrlAt('http://127.0.0.1:4566', names.deadLetterQueue);

const header = (request: HttpRequest, name: string): string | undefined => Object.entries(request.headers).find(([key]) => key.toLowerCase() === name)?.[1];

const bodyOf = (request: HttpRequest): string => {
  const body: unknown = request.body;
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString();
  throw new Error('a streamed body');
};

const receivedBody = '{"id":"p1"}';

// Enough of each answer for the adapters to go on: a message to receive, a sent message's MD5, a MessageId for SNS.
function reply(request: HttpRequest): HttpResponse {
  const target = header(request, 'x-amz-target');
  const action = new URLSearchParams(bodyOf(request)).get('Action');
  let body = '{}';
  let type = 'application/x-amz-json-1.0';
  if (target === 'AmazonSQS.ReceiveMessage') {
    const md5 = createHash('md5').update(receivedBody).digest('hex');
    body = JSON.stringify({
      Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: receivedBody, MD5OfBody: md5, Attributes: { ApproximateReceiveCount: '1' } }],
    });
  } else if (target === 'AmazonSQS.SendMessage') {
    // The client checks the body's MD5, as the functions' clients do.
    const { MessageBody = '' } = JSON.parse(bodyOf(request)) as { MessageBody?: string };
    body = JSON.stringify({ MessageId: 'm2', MD5OfMessageBody: createHash('md5').update(MessageBody).digest('hex') });
  } else if (action === 'Publish') {
    type = 'text/xml';
    body = '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m1</MessageId></PublishResult></PublishResponse>';
  }
  return { statusCode: 200, headers: { 'content-type': type }, body: Readable.from([Buffer.from(body)]) };
}

/** A request handler that records each request and answers it without a network. */
class Recorder {
  readonly requests: HttpRequest[] = [];
  readonly handle = (request: HttpRequest) => {
    this.requests.push(request);
    return Promise.resolve({ response: reply(request) });
  };
  updateHttpClientConfig(): void {}
  httpHandlerConfigs() {
    return {};
  }
}

const clientConfig = (recorder: Recorder) => ({
  region,
  endpoint: localstack.endpoint,
  credentials: { accessKeyId: 'ASIAFUNCTIONROLE', secretAccessKey: 'secret', sessionToken: 'session' },
  maxAttempts: 1,
  requestHandler: recorder,
});

const clients = (recorder: Recorder) => ({
  dynamodb: new DynamoDBClient(clientConfig(recorder)),
  // As the functions make theirs (lambdas/adapters/clients.ts).
  sqs: new SQSClient({ ...clientConfig(recorder), useQueueUrlAsEndpoint: false }),
  sns: new SNSClient(clientConfig(recorder)),
  logs: new CloudWatchLogsClient(clientConfig(recorder)),
  lambda: new LambdaClient(clientConfig(recorder)),
  apigateway: new APIGatewayClient(clientConfig(recorder)),
  iam: new IAMClient(clientConfig(recorder)),
  sts: new STSClient(clientConfig(recorder)),
});

/** The SDK clients of one recording. */
export type Sdk = ReturnType<typeof clients>;

/**
 * The call as the edge identifies it: service and region from the SigV4 scope, the operation from
 * X-Amz-Target or Action, or (REST) as the service module's router names it.
 */
function callOf(request: HttpRequest, restOperation = ''): AuthorizedCall {
  const scope = signingScope(header(request, 'authorization'));
  if (!scope) throw new Error('an unsigned request');
  const body = bodyOf(request);
  const target = header(request, 'x-amz-target');
  const form = (header(request, 'content-type') ?? '').startsWith('application/x-www-form-urlencoded');
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(request.query ?? {})) for (const item of [value ?? ''].flat()) query.append(name, item);
  return {
    service: scope.service,
    operation: target?.slice(target.lastIndexOf('.') + 1) ?? (form ? (new URLSearchParams(body).get('Action') ?? '') : restOperation),
    body,
    path: decodeURIComponent(request.path),
    region: scope.region,
    accountId,
    protocol: target ? 'json' : form ? 'query' : 'rest-json',
    method: request.method,
    query,
  };
}

/** The calls a piece of code makes, each with its authorizations. */
export async function recorded(run: (sdk: Sdk) => Promise<unknown>): Promise<[string, Authorization[]][]> {
  const recorder = new Recorder();
  await run(clients(recorder));
  return recorder.requests.map((request) => {
    const call = callOf(request);
    return [call.operation, authorizationOf(call)];
  });
}

/** The authorizations of one SDK command's call; REST services need the operation their router names. */
export async function authorizationsOfCommand(send: (sdk: Sdk) => Promise<unknown>, restOperation = ''): Promise<Authorization[]> {
  const recorder = new Recorder();
  // Control-plane answers are not faked: the client may fail to read `{}`; the request is what counts.
  await send(clients(recorder)).catch(() => undefined);
  const [request] = recorder.requests;
  if (!request || recorder.requests.length !== 1) throw new Error(`expected one request, got ${recorder.requests.length}`);
  return authorizationOf(callOf(request, restOperation));
}

/** A call as the edge identifies it, written out: what the AWS CLI sends, or what no SDK client sends. */
export const handCall = (service: string, protocol: AuthorizedCall['protocol'], operation: string, body: string, path = '/'): AuthorizedCall => ({
  service,
  operation,
  body,
  path,
  region,
  accountId,
  protocol,
});
