/**
 * The IAM action and resource of each AWS call: the calls the two functions make, recorded as the
 * AWS SDK v3 sends them (through the functions' own adapters and the event source mapping's
 * poller), SQS as the AWS CLI v1 sends it (the query protocol of older botocore, the JSON of
 * today's), and the control-plane calls; then the stack's role policies decide each function's
 * calls, as the runtime does for a call signed with the function's role.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CreateResourceCommand,
  APIGatewayClient,
  GetRestApiCommand,
  PutMethodCommand,
  TagResourceCommand as TagApiCommand,
  UpdateStageCommand,
} from '@aws-sdk/client-api-gateway';
import {
  CloudWatchLogsClient,
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  ListTablesCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  DescribeTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { GetRoleCommand, IAMClient, ListRolesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  ListTagsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { CreateTopicCommand, PublishBatchCommand, SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityBatchCommand,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { HttpRequest, HttpResponse } from '@smithy/types';
import { Testing } from 'cdktf';
import { localstack, names, region, retryGuards } from '#spec';
import type { ProductWrite } from '#domain/product';
import { DynamoDbProductStore } from '#adapters/dynamodb-store';
import { RetryQueue, type QueuedMessage } from '#adapters/retry-queue';
import { WritePublisher } from '#adapters/sns-publisher';
import { pollOnce } from '../../offline/services/event-source-mappings/poll';
import { authorizationOf, functionArnOf, queueArnOf, type Authorization, type AuthorizedCall } from '../../offline/services/iam/actions';
import { evaluate, type Decision, type Statement } from '../../offline/services/iam/policy';
import { signingScope } from '../../offline/protocol/service';
import { arn, queueUrlAt } from '../support/clients';
import { parse, stackWithoutCode } from '../support/stack';

const accountId = localstack.accountId;
const table = arn('dynamodb', `table/${names.table}`);
const queue = arn('sqs', names.queue);
const deadLetterQueue = arn('sqs', names.deadLetterQueue);
const topic = arn('sns', names.topic);
const logGroup = (fn: string) => arn('logs', `log-group:/aws/lambda/${fn}`);
const stream = '2026/11/27/[$LATEST]0123456789abcdef';
const logStream = (fn: string) => `${logGroup(fn)}:log-stream:${stream}`;
// The queue URLs the functions get, in LocalStack's host form (functionEnvironment).
const queueUrl = queueUrlAt('http://127.0.0.1:4566', names.queue);
const deadLetterQueueUrl = queueUrlAt('http://127.0.0.1:4566', names.deadLetterQueue);

// ---- recording what the SDK sends -------------------------------------------------------------

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
async function recorded(run: (sdk: ReturnType<typeof clients>) => Promise<unknown>): Promise<[string, Authorization[]][]> {
  const recorder = new Recorder();
  await run(clients(recorder));
  return recorder.requests.map((request) => {
    const call = callOf(request);
    return [call.operation, authorizationOf(call)];
  });
}

/** The authorizations of one SDK command's call; REST services need the operation their router names. */
async function authorizationsOfCommand(send: (sdk: ReturnType<typeof clients>) => Promise<unknown>, restOperation = ''): Promise<Authorization[]> {
  const recorder = new Recorder();
  // Control-plane answers are not faked: the client may fail to read `{}`; the request is what counts.
  await send(clients(recorder)).catch(() => undefined);
  const [request] = recorder.requests;
  if (!request || recorder.requests.length !== 1) throw new Error(`expected one request, got ${recorder.requests.length}`);
  return authorizationOf(callOf(request, restOperation));
}

// ---- the functions' calls ---------------------------------------------------------------------

const signal = new AbortController().signal;
const write: ProductWrite = { id: 'p1', name: 'Widget', price: 9.99, description: 'A widget', updatedAt: 1_764_000_000_000, requestId: 'req-1' };
const message: QueuedMessage = { messageId: 'm1', receiptHandle: 'r1', body: JSON.stringify(write), receiveCount: 4 };

// What each function writes to its log group (the runtime's log delivery, signed with the role).
const logCalls = (sdk: ReturnType<typeof clients>, fn: string) =>
  sdk.logs
    .send(new CreateLogStreamCommand({ logGroupName: `/aws/lambda/${fn}`, logStreamName: stream }))
    .then(() =>
      sdk.logs.send(new PutLogEventsCommand({ logGroupName: `/aws/lambda/${fn}`, logStreamName: stream, logEvents: [{ timestamp: 1, message: 'x' }] })),
    );

const productFunctionCalls = (sdk: ReturnType<typeof clients>) => {
  const store = new DynamoDbProductStore(sdk.dynamodb, names.table, retryGuards.clockSkewSeconds);
  return store
    .put(write, store.horizon(), signal)
    .then(() => store.get(write.id, signal))
    .then(() => store.version(write.id, signal))
    .then(() => store.list(10, undefined, signal))
    .then(() => new WritePublisher(sdk.sns, topic).publish(write, signal))
    .then(() => logCalls(sdk, names.productFunction));
};

const retryFunctionCalls = (sdk: ReturnType<typeof clients>) => {
  const store = new DynamoDbProductStore(sdk.dynamodb, names.table, retryGuards.clockSkewSeconds);
  const retryQueue = new RetryQueue(sdk.sqs, queueUrl, deadLetterQueueUrl);
  const settings = { queueUrl, queueArn: queue, region, batchSize: 10, waitTimeSeconds: 0 };
  // The event source mapping polls with the function's role, as Lambda's does.
  return pollOnce(sdk.sqs, settings, () => Promise.resolve({ batchItemFailures: [] }))
    .then(() => sdk.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout'] })))
    .then(() => store.put(write, store.horizon(), signal))
    .then(() => store.version(write.id, signal))
    .then(() => retryQueue.hide(message, 30, signal))
    .then(() => retryQueue.requeue(message, 60, signal))
    .then(() => retryQueue.deadLetter(message, { code: 'invalid-message', reason: 'invalid' }, signal))
    .then(() => retryQueue.delete([message], signal))
    .then(() => logCalls(sdk, names.retryFunction));
};

const productExpected: [string, Authorization[]][] = [
  ['PutItem', [{ action: 'dynamodb:PutItem', resource: table }]],
  ['GetItem', [{ action: 'dynamodb:GetItem', resource: table }]],
  ['GetItem', [{ action: 'dynamodb:GetItem', resource: table }]],
  ['Scan', [{ action: 'dynamodb:Scan', resource: table }]],
  ['Publish', [{ action: 'sns:Publish', resource: topic }]],
  ['CreateLogStream', [{ action: 'logs:CreateLogStream', resource: logStream(names.productFunction) }]],
  ['PutLogEvents', [{ action: 'logs:PutLogEvents', resource: logStream(names.productFunction) }]],
];

const retryExpected: [string, Authorization[]][] = [
  ['ReceiveMessage', [{ action: 'sqs:ReceiveMessage', resource: queue }]],
  ['DeleteMessageBatch', [{ action: 'sqs:DeleteMessage', resource: queue }]],
  ['GetQueueAttributes', [{ action: 'sqs:GetQueueAttributes', resource: queue }]],
  ['PutItem', [{ action: 'dynamodb:PutItem', resource: table }]],
  ['GetItem', [{ action: 'dynamodb:GetItem', resource: table }]],
  ['ChangeMessageVisibility', [{ action: 'sqs:ChangeMessageVisibility', resource: queue }]],
  ['SendMessage', [{ action: 'sqs:SendMessage', resource: queue }]],
  ['SendMessage', [{ action: 'sqs:SendMessage', resource: deadLetterQueue }]],
  ['DeleteMessageBatch', [{ action: 'sqs:DeleteMessage', resource: queue }]],
  ['CreateLogStream', [{ action: 'logs:CreateLogStream', resource: logStream(names.retryFunction) }]],
  ['PutLogEvents', [{ action: 'logs:PutLogEvents', resource: logStream(names.retryFunction) }]],
];

describe("the functions' calls as the SDK sends them", () => {
  it('maps every call of the product function', async () => {
    expect(await recorded(productFunctionCalls)).toEqual(productExpected);
  });

  it('maps every call of the retry function and its event source mapping', async () => {
    expect(await recorded(retryFunctionCalls)).toEqual(retryExpected);
  });
});

// ---- SQS as the AWS CLI v1 sends it -----------------------------------------------------------

// botocore before its switch to JSON posted SQS calls as forms to the endpoint (`aws sqs ... --endpoint-url`).
const cliQuery = (action: string, params: Record<string, string>) => new URLSearchParams({ Action: action, Version: '2012-11-05', ...params }).toString();
// botocore 1.43 (AWS CLI 1.45) sends JSON: these bodies are recorded from it.
const cliJson = (params: Record<string, unknown>) => JSON.stringify(params).replace(/":/g, '": ').replace(/,"/g, ', "');

describe('SQS as the AWS CLI v1 sends it', () => {
  const sqsCall = (protocol: 'json' | 'query', operation: string, body: string, path = '/'): AuthorizedCall => ({
    service: 'sqs',
    operation,
    body,
    path,
    region,
    accountId,
    protocol,
  });

  it.each<[string, 'json' | 'query', string, string, Authorization[]]>([
    [
      'send-message (query)',
      'query',
      'SendMessage',
      cliQuery('SendMessage', { QueueUrl: queueUrl, MessageBody: '{}' }),
      [{ action: 'sqs:SendMessage', resource: queue }],
    ],
    [
      'receive-message (query)',
      'query',
      'ReceiveMessage',
      cliQuery('ReceiveMessage', { QueueUrl: queueUrl, MaxNumberOfMessages: '10', 'AttributeName.1': 'All' }),
      [{ action: 'sqs:ReceiveMessage', resource: queue }],
    ],
    [
      'get-queue-attributes (query)',
      'query',
      'GetQueueAttributes',
      cliQuery('GetQueueAttributes', { QueueUrl: deadLetterQueueUrl, 'AttributeName.1': 'ApproximateNumberOfMessages' }),
      [{ action: 'sqs:GetQueueAttributes', resource: deadLetterQueue }],
    ],
    [
      'delete-message (query)',
      'query',
      'DeleteMessage',
      cliQuery('DeleteMessage', { QueueUrl: queueUrl, ReceiptHandle: 'r1' }),
      [{ action: 'sqs:DeleteMessage', resource: queue }],
    ],
    [
      'change-message-visibility (query)',
      'query',
      'ChangeMessageVisibility',
      cliQuery('ChangeMessageVisibility', { QueueUrl: queueUrl, ReceiptHandle: 'r1', VisibilityTimeout: '5' }),
      [{ action: 'sqs:ChangeMessageVisibility', resource: queue }],
    ],
    [
      'send-message-batch (query)',
      'query',
      'SendMessageBatch',
      cliQuery('SendMessageBatch', {
        QueueUrl: queueUrl,
        'SendMessageBatchRequestEntry.1.Id': 'a',
        'SendMessageBatchRequestEntry.1.MessageBody': 'x',
      }),
      [{ action: 'sqs:SendMessage', resource: queue }],
    ],
    [
      'delete-message-batch (query)',
      'query',
      'DeleteMessageBatch',
      cliQuery('DeleteMessageBatch', { QueueUrl: queueUrl, 'DeleteMessageBatchRequestEntry.1.Id': 'a', 'DeleteMessageBatchRequestEntry.1.ReceiptHandle': 'r' }),
      [{ action: 'sqs:DeleteMessage', resource: queue }],
    ],
    [
      'change-message-visibility-batch (query)',
      'query',
      'ChangeMessageVisibilityBatch',
      cliQuery('ChangeMessageVisibilityBatch', { QueueUrl: queueUrl, 'ChangeMessageVisibilityBatchRequestEntry.1.Id': 'a' }),
      [{ action: 'sqs:ChangeMessageVisibility', resource: queue }],
    ],
    [
      'purge-queue (query)',
      'query',
      'PurgeQueue',
      cliQuery('PurgeQueue', { QueueUrl: deadLetterQueueUrl }),
      [{ action: 'sqs:PurgeQueue', resource: deadLetterQueue }],
    ],
    ['get-queue-url (query)', 'query', 'GetQueueUrl', cliQuery('GetQueueUrl', { QueueName: names.queue }), [{ action: 'sqs:GetQueueUrl', resource: queue }]],
    [
      'get-queue-url of another account (query)',
      'query',
      'GetQueueUrl',
      cliQuery('GetQueueUrl', { QueueName: names.queue, QueueOwnerAWSAccountId: '111122223333' }),
      [{ action: 'sqs:GetQueueUrl', resource: `arn:aws:sqs:${region}:111122223333:${names.queue}` }],
    ],
    [
      'list-queues (query)',
      'query',
      'ListQueues',
      cliQuery('ListQueues', {}),
      [{ action: 'sqs:ListQueues', resource: `arn:aws:sqs:${region}:${accountId}:*` }],
    ],
    [
      'send-message (JSON)',
      'json',
      'SendMessage',
      cliJson({ QueueUrl: queueUrl, MessageBody: '{"id":"p1"}' }),
      [{ action: 'sqs:SendMessage', resource: queue }],
    ],
    [
      'receive-message (JSON)',
      'json',
      'ReceiveMessage',
      cliJson({ QueueUrl: queueUrl, AttributeNames: ['All'], MaxNumberOfMessages: 10 }),
      [{ action: 'sqs:ReceiveMessage', resource: queue }],
    ],
    [
      'send-message-batch (JSON)',
      'json',
      'SendMessageBatch',
      cliJson({ QueueUrl: queueUrl, Entries: [{ Id: 'a', MessageBody: 'x' }] }),
      [{ action: 'sqs:SendMessage', resource: queue }],
    ],
    ['get-queue-url (JSON)', 'json', 'GetQueueUrl', cliJson({ QueueName: names.deadLetterQueue }), [{ action: 'sqs:GetQueueUrl', resource: deadLetterQueue }]],
  ])('%s', (_case, protocol, operation, body, expected) => {
    expect(authorizationOf(sqsCall(protocol, operation, body))).toEqual(expected);
  });

  it('reads the queue from the path when a query client posts to the queue URL itself', () => {
    const body = cliQuery('SendMessage', { MessageBody: 'x' });
    expect(authorizationOf(sqsCall('query', 'SendMessage', body, `/${accountId}/${names.queue}`))).toEqual([{ action: 'sqs:SendMessage', resource: queue }]);
    expect(authorizationOf(sqsCall('query', 'SendMessage', body, `/queue/eu-west-1/${accountId}/${names.queue}`))).toEqual([
      { action: 'sqs:SendMessage', resource: `arn:aws:sqs:eu-west-1:${accountId}:${names.queue}` },
    ]);
  });

  it('authorizes a call without a queue on every resource', () => {
    expect(authorizationOf(sqsCall('json', 'SendMessage', '{}'))).toEqual([{ action: 'sqs:SendMessage', resource: '*' }]);
    expect(authorizationOf(sqsCall('json', 'SendMessage', '{"QueueUrl":"not a url"}'))).toEqual([{ action: 'sqs:SendMessage', resource: '*' }]);
  });
});

describe('queueArnOf', () => {
  it.each<[string, string]>([
    [`http://sqs.${region}.localhost.localstack.cloud:4566/${accountId}/${names.queue}`, queue],
    [`http://sqs.eu-west-1.localhost.localstack.cloud:4566/${accountId}/${names.queue}`, `arn:aws:sqs:eu-west-1:${accountId}:${names.queue}`],
    [`http://${region}.queue.localhost.localstack.cloud:4566/${accountId}/${names.queue}`, queue],
    [`http://localhost:4566/queue/${region}/${accountId}/${names.queue}`, queue],
    [`http://localhost:4566/${accountId}/${names.queue}`, queue],
    [`https://sqs.${region}.amazonaws.com/${accountId}/${names.queue}`, queue],
    [`http://localhost:4566/111122223333/Orders.fifo`, `arn:aws:sqs:${region}:111122223333:Orders.fifo`],
  ])('%s', (url, expected) => {
    expect(queueArnOf(url, region)).toBe(expected);
  });

  it('is undefined for what is not a queue URL', () => {
    expect(queueArnOf('ProductEventsQueue', region)).toBeUndefined();
    expect(queueArnOf('http://localhost:4566/ProductEventsQueue', region)).toBeUndefined();
  });
});

// ---- the other calls, as the SDK sends them -------------------------------------------------

describe('other calls as the SDK sends them', () => {
  const fn = arn('lambda', `function:${names.productFunction}`);
  const role = `arn:aws:iam::${accountId}:role/${names.productFunction}Role`;
  const api = `arn:aws:apigateway:${region}::/restapis/${names.restApiId}`;

  it.each<[string, (sdk: ReturnType<typeof clients>) => Promise<unknown>, string, Authorization[]]>([
    [
      'DynamoDB BatchWriteItem, per table',
      (sdk) =>
        sdk.dynamodb.send(
          new BatchWriteItemCommand({
            RequestItems: {
              [names.table]: [{ PutRequest: { Item: { id: { S: 'a' } } } }],
              Other: [{ DeleteRequest: { Key: { id: { S: 'b' } } } }],
            },
          }),
        ),
      '',
      [
        { action: 'dynamodb:BatchWriteItem', resource: table },
        { action: 'dynamodb:BatchWriteItem', resource: arn('dynamodb', 'table/Other') },
      ],
    ],
    [
      "DynamoDB TransactWriteItems, each item's action",
      (sdk) =>
        sdk.dynamodb.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: { TableName: names.table, Item: { id: { S: 'a' } } } },
              { ConditionCheck: { TableName: 'Other', Key: { id: { S: 'b' } }, ConditionExpression: 'attribute_exists(id)' } },
            ],
          }),
        ),
      '',
      [
        { action: 'dynamodb:PutItem', resource: table },
        { action: 'dynamodb:ConditionCheckItem', resource: arn('dynamodb', 'table/Other') },
      ],
    ],
    [
      'DynamoDB Query of an index',
      (sdk) =>
        sdk.dynamodb.send(
          new QueryCommand({ TableName: names.table, IndexName: 'byName', KeyConditionExpression: 'n = :n', ExpressionAttributeValues: { ':n': { S: 'x' } } }),
        ),
      '',
      [{ action: 'dynamodb:Query', resource: `${table}/index/byName` }],
    ],
    ['DynamoDB ListTables', (sdk) => sdk.dynamodb.send(new ListTablesCommand({})), '', [{ action: 'dynamodb:ListTables', resource: '*' }]],
    [
      'DynamoDB DescribeTimeToLive',
      (sdk) => sdk.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: names.table })),
      '',
      [{ action: 'dynamodb:DescribeTimeToLive', resource: table }],
    ],
    [
      'SQS ChangeMessageVisibilityBatch',
      (sdk) => sdk.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: 'a', ReceiptHandle: 'r', VisibilityTimeout: 1 }] })),
      '',
      [{ action: 'sqs:ChangeMessageVisibility', resource: queue }],
    ],
    [
      'SQS SendMessageBatch',
      (sdk) => sdk.sqs.send(new SendMessageBatchCommand({ QueueUrl: deadLetterQueueUrl, Entries: [{ Id: 'a', MessageBody: 'x' }] })),
      '',
      [{ action: 'sqs:SendMessage', resource: deadLetterQueue }],
    ],
    ['SQS CreateQueue', (sdk) => sdk.sqs.send(new CreateQueueCommand({ QueueName: names.queue })), '', [{ action: 'sqs:CreateQueue', resource: queue }]],
    ['SQS GetQueueUrl', (sdk) => sdk.sqs.send(new GetQueueUrlCommand({ QueueName: names.queue })), '', [{ action: 'sqs:GetQueueUrl', resource: queue }]],
    ['SQS ListQueues', (sdk) => sdk.sqs.send(new ListQueuesCommand({})), '', [{ action: 'sqs:ListQueues', resource: arn('sqs', '*') }]],
    ['SNS CreateTopic', (sdk) => sdk.sns.send(new CreateTopicCommand({ Name: names.topic })), '', [{ action: 'sns:CreateTopic', resource: topic }]],
    [
      'SNS Subscribe',
      (sdk) => sdk.sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'sqs', Endpoint: queue })),
      '',
      [{ action: 'sns:Subscribe', resource: topic }],
    ],
    [
      'SNS PublishBatch',
      (sdk) => sdk.sns.send(new PublishBatchCommand({ TopicArn: topic, PublishBatchRequestEntries: [{ Id: 'a', Message: 'x' }] })),
      '',
      [{ action: 'sns:Publish', resource: topic }],
    ],
    ['SNS Unsubscribe', (sdk) => sdk.sns.send(new UnsubscribeCommand({ SubscriptionArn: `${topic}:abc` })), '', [{ action: 'sns:Unsubscribe', resource: '*' }]],
    [
      'Logs PutRetentionPolicy',
      (sdk) => sdk.logs.send(new PutRetentionPolicyCommand({ logGroupName: `/aws/lambda/${names.productFunction}`, retentionInDays: 7 })),
      '',
      [{ action: 'logs:PutRetentionPolicy', resource: logGroup(names.productFunction) }],
    ],
    [
      'Logs DescribeLogGroups',
      (sdk) => sdk.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/' })),
      '',
      [{ action: 'logs:DescribeLogGroups', resource: arn('logs', 'log-group:*') }],
    ],
    [
      'Lambda Invoke',
      (sdk) => sdk.lambda.send(new InvokeCommand({ FunctionName: names.productFunction, Payload: Buffer.from('{}') })),
      'Invoke',
      [{ action: 'lambda:InvokeFunction', resource: fn }],
    ],
    [
      'Lambda Invoke of a version, by ARN',
      (sdk) => sdk.lambda.send(new InvokeCommand({ FunctionName: fn, Qualifier: '3' })),
      'Invoke',
      [{ action: 'lambda:InvokeFunction', resource: `${fn}:3` }],
    ],
    [
      'Lambda GetFunction',
      (sdk) => sdk.lambda.send(new GetFunctionCommand({ FunctionName: names.productFunction })),
      'GetFunction',
      [{ action: 'lambda:GetFunction', resource: fn }],
    ],
    [
      'Lambda CreateFunction passes its role',
      (sdk) =>
        sdk.lambda.send(
          new CreateFunctionCommand({
            FunctionName: names.productFunction,
            Role: role,
            Runtime: 'nodejs22.x',
            Handler: 'index.handler',
            Code: { ZipFile: Buffer.from('zip') },
          }),
        ),
      'CreateFunction',
      [
        { action: 'lambda:CreateFunction', resource: fn },
        { action: 'iam:PassRole', resource: role },
      ],
    ],
    ['Lambda ListTags', (sdk) => sdk.lambda.send(new ListTagsCommand({ Resource: fn })), 'ListTags', [{ action: 'lambda:ListTags', resource: fn }]],
    [
      'Lambda CreateEventSourceMapping',
      (sdk) => sdk.lambda.send(new CreateEventSourceMappingCommand({ EventSourceArn: queue, FunctionName: names.retryFunction })),
      'CreateEventSourceMapping',
      [{ action: 'lambda:CreateEventSourceMapping', resource: '*' }],
    ],
    [
      'Lambda UpdateEventSourceMapping',
      (sdk) => sdk.lambda.send(new UpdateEventSourceMappingCommand({ UUID: 'abc-123', Enabled: false })),
      'UpdateEventSourceMapping',
      [{ action: 'lambda:UpdateEventSourceMapping', resource: arn('lambda', 'event-source-mapping:abc-123') }],
    ],
    [
      'API Gateway GetRestApi',
      (sdk) => sdk.apigateway.send(new GetRestApiCommand({ restApiId: names.restApiId })),
      'GetRestApi',
      [{ action: 'apigateway:GET', resource: api }],
    ],
    [
      'API Gateway CreateResource',
      (sdk) => sdk.apigateway.send(new CreateResourceCommand({ restApiId: names.restApiId, parentId: 'root', pathPart: names.resource })),
      'CreateResource',
      [{ action: 'apigateway:POST', resource: `${api}/resources/root` }],
    ],
    [
      'API Gateway PutMethod',
      (sdk) => sdk.apigateway.send(new PutMethodCommand({ restApiId: names.restApiId, resourceId: 'abc', httpMethod: 'POST', authorizationType: 'NONE' })),
      'PutMethod',
      [{ action: 'apigateway:PUT', resource: `${api}/resources/abc/methods/POST` }],
    ],
    [
      'API Gateway UpdateStage',
      (sdk) => sdk.apigateway.send(new UpdateStageCommand({ restApiId: names.restApiId, stageName: names.stage, patchOperations: [] })),
      'UpdateStage',
      [{ action: 'apigateway:PATCH', resource: `${api}/stages/${names.stage}` }],
    ],
    [
      'API Gateway TagResource',
      (sdk) => sdk.apigateway.send(new TagApiCommand({ resourceArn: `${api}/stages/${names.stage}`, tags: { a: 'b' } })),
      'TagResource',
      [{ action: 'apigateway:PUT', resource: `arn:aws:apigateway:${region}::/tags/${encodeURIComponent(`${api}/stages/${names.stage}`)}` }],
    ],
    [
      'IAM GetRole',
      (sdk) => sdk.iam.send(new GetRoleCommand({ RoleName: `${names.retryFunction}Role` })),
      '',
      [{ action: 'iam:GetRole', resource: `arn:aws:iam::${accountId}:role/${names.retryFunction}Role` }],
    ],
    [
      'IAM PutRolePolicy',
      (sdk) => sdk.iam.send(new PutRolePolicyCommand({ RoleName: `${names.retryFunction}Role`, PolicyName: 'p', PolicyDocument: '{}' })),
      '',
      [{ action: 'iam:PutRolePolicy', resource: `arn:aws:iam::${accountId}:role/${names.retryFunction}Role` }],
    ],
    ['IAM ListRoles', (sdk) => sdk.iam.send(new ListRolesCommand({})), '', [{ action: 'iam:ListRoles', resource: '*' }]],
    [
      'STS AssumeRole',
      (sdk) => sdk.sts.send(new AssumeRoleCommand({ RoleArn: role, RoleSessionName: 's' })),
      '',
      [{ action: 'sts:AssumeRole', resource: role }],
    ],
    ['STS GetCallerIdentity needs no permission', (sdk) => sdk.sts.send(new GetCallerIdentityCommand({})), '', []],
  ])('%s', async (_case, send, restOperation, expected) => {
    expect(await authorizationsOfCommand(send, restOperation)).toEqual(expected);
  });

  it('authorizes an operation it does not map as its own action on every resource', () => {
    const call: AuthorizedCall = {
      service: 'dynamodb',
      operation: 'ExecuteStatement',
      body: '{"Statement":"SELECT * FROM Products"}',
      path: '/',
      region,
      accountId,
      protocol: 'json',
    };
    expect(authorizationOf(call)).toEqual([{ action: 'dynamodb:ExecuteStatement', resource: '*' }]);
  });

  it('names API Gateway actions from the operation when the method is not given', () => {
    const call: AuthorizedCall = {
      service: 'apigateway',
      operation: 'DeleteStage',
      body: '',
      path: `/restapis/${names.restApiId}/stages/dev`,
      region,
      accountId,
      protocol: 'rest-json',
    };
    expect(authorizationOf(call)).toEqual([{ action: 'apigateway:DELETE', resource: `${api}/stages/dev` }]);
  });
});

describe('functionArnOf', () => {
  const fn = arn('lambda', `function:${names.retryFunction}`);
  it.each<[string, string | undefined, string]>([
    [names.retryFunction, undefined, fn],
    [`${accountId}:function:${names.retryFunction}`, undefined, fn],
    [fn, undefined, fn],
    [`${fn}:live`, undefined, `${fn}:live`],
    [names.retryFunction, '$LATEST', `${fn}:$LATEST`],
    [`${fn}:live`, '7', `${fn}:live`],
  ])('%s (qualifier %s)', (name, qualifier, expected) => {
    expect(functionArnOf(name, region, accountId, qualifier)).toBe(expected);
  });
});

// ---- the stack's role policies decide ---------------------------------------------------------

describe("the functions' calls under their roles", () => {
  // The ARNs Terraform puts in for the references of the synthesized policies (as in iam-policy.test.ts).
  const arns: Record<string, string> = {
    'aws_dynamodb_table.products-table.arn': table,
    'aws_sns_topic.product-events-topic.arn': topic,
    'aws_sqs_queue.product-events-queue.arn': queue,
    'aws_sqs_queue.product-events-dlq.arn': deadLetterQueue,
    'aws_cloudwatch_log_group.product-logs.arn': logGroup(names.productFunction),
    'aws_cloudwatch_log_group.retry-logs.arn': logGroup(names.retryFunction),
  };
  const policies: Record<string, string> = {};
  const product = `${names.productFunction}Access`;
  const retry = `${names.retryFunction}Access`;

  beforeAll(() => {
    const synthesized = parse(Testing.synth(stackWithoutCode())).resource.aws_iam_role_policy ?? {};
    for (const { name, policy } of Object.values(synthesized) as Array<{ name: string; policy: string }>) {
      policies[name] = policy.replace(/\$\{([^}]+)\}/g, (_reference, address: string) => {
        const resolved = arns[address];
        if (!resolved) throw new Error(`no ARN for ${address}`);
        return resolved;
      });
    }
  });

  const decide = (policy: string | object, authorizations: Authorization[]): Decision['result'][] =>
    authorizations.map(({ action, resource }) => evaluate([policy], action, resource).result);

  const withoutSendMessage = (policy: string) => {
    const document = JSON.parse(policy) as { Statement: Statement[] };
    return { ...document, Statement: document.Statement.filter((statement) => ![statement.Action].flat().includes('sqs:SendMessage')) };
  };

  it('allows every call of the product function under its own role', async () => {
    for (const [operation, authorizations] of await recorded(productFunctionCalls)) {
      expect([operation, decide(policies[product]!, authorizations)]).toEqual([operation, authorizations.map(() => 'allowed')]);
    }
  });

  it('allows every call of the retry function and its event source mapping under its own role', async () => {
    for (const [operation, authorizations] of await recorded(retryFunctionCalls)) {
      expect([operation, decide(policies[retry]!, authorizations)]).toEqual([operation, authorizations.map(() => 'allowed')]);
    }
  });

  it("denies each function the other's calls it has no grant for", async () => {
    const sendToQueue = await authorizationsOfCommand((sdk) => sdk.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' })));
    expect(decide(policies[product]!, sendToQueue)).toEqual(['implicitly-denied']);
    const publish = await authorizationsOfCommand((sdk) => new WritePublisher(sdk.sns, topic).publish(write, signal));
    expect(decide(policies[retry]!, publish)).toEqual(['implicitly-denied']);
    const scan = await authorizationsOfCommand((sdk) =>
      new DynamoDbProductStore(sdk.dynamodb, names.table, retryGuards.clockSkewSeconds).list(10, undefined, signal),
    );
    expect(decide(policies[retry]!, scan)).toEqual(['implicitly-denied']);
    const otherLogs = await authorizationsOfCommand((sdk) =>
      sdk.logs.send(
        new PutLogEventsCommand({ logGroupName: `/aws/lambda/${names.retryFunction}`, logStreamName: stream, logEvents: [{ timestamp: 1, message: 'x' }] }),
      ),
    );
    expect(decide(policies[product]!, otherLogs)).toEqual(['implicitly-denied']);
  });

  it("denies the retry role's re-queue and dead-letter once its sqs:SendMessage statement is gone, and nothing else", async () => {
    const without = withoutSendMessage(policies[retry]!);
    const decisions = (await recorded(retryFunctionCalls)).map(([operation, authorizations]) => [operation, decide(without, authorizations)]);
    expect(decisions).toEqual(
      retryExpected.map(([operation, authorizations]) => [
        operation,
        authorizations.map(({ action }) => (action === 'sqs:SendMessage' ? 'implicitly-denied' : 'allowed')),
      ]),
    );
    // A batch send is the same action.
    const batch = await authorizationsOfCommand((sdk) =>
      sdk.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: 'a', MessageBody: 'x' }] })),
    );
    expect(decide(without, batch)).toEqual(['implicitly-denied']);
    expect(decide(policies[retry]!, batch)).toEqual(['allowed']);
  });

  it('denies the functions any control-plane call', async () => {
    const calls = [
      await authorizationsOfCommand((sdk) =>
        sdk.iam.send(new PutRolePolicyCommand({ RoleName: `${names.retryFunction}Role`, PolicyName: 'p', PolicyDocument: '{}' })),
      ),
      await authorizationsOfCommand((sdk) => sdk.lambda.send(new GetFunctionCommand({ FunctionName: names.productFunction })), 'GetFunction'),
      await authorizationsOfCommand((sdk) => sdk.dynamodb.send(new ListTablesCommand({}))),
    ];
    for (const authorizations of calls) {
      expect(decide(policies[product]!, authorizations)).toEqual(['implicitly-denied']);
      expect(decide(policies[retry]!, authorizations)).toEqual(['implicitly-denied']);
    }
  });
});
