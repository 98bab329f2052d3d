/**
 * The IAM action and resource of each call the two functions make, recorded as the AWS SDK v3
 * sends them (through the functions' own adapters and the event source mapping's poller); then
 * the stack's role policies decide each function's calls, as the runtime does for a call signed
 * with the function's role. SQS as the AWS CLI sends it: iam-actions-sqs-cli.test.ts; the other
 * calls as the SDK sends them: iam-actions-sdk.test.ts.
 */
import { CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { Testing } from 'cdktf';
import { names, region, retryGuards } from '#spec';
import type { ProductWrite } from '#domain/product';
import { DynamoDbProductStore } from '#adapters/dynamodb-store';
import { RetryQueue, type QueuedMessage } from '#adapters/retry-queue';
import { WritePublisher } from '#adapters/sns-publisher';
import { pollOnce } from '../../offline/services/event-source-mappings/poll';
import type { Authorization } from '../../offline/services/iam/actions';
import { evaluate, type Decision, type Statement } from '../../offline/services/iam/policy';
import {
  authorizationsOfCommand,
  deadLetterQueue,
  deadLetterQueueUrl,
  logGroup,
  logStream,
  queue,
  queueUrl,
  recorded,
  type Sdk,
  stream,
  table,
  topic,
} from '../support/recorded-calls';
import { parse, stackWithoutCode } from '../support/stack';

// ---- the functions' calls ---------------------------------------------------------------------

const signal = new AbortController().signal;
const write: ProductWrite = { id: 'p1', name: 'Widget', price: 9.99, description: 'A widget', updatedAt: 1_764_000_000_000, requestId: 'req-1' };
const message: QueuedMessage = { messageId: 'm1', receiptHandle: 'r1', body: JSON.stringify(write), receiveCount: 4 };

// What each function writes to its log group (the runtime's log delivery, signed with the role).
const logCalls = (sdk: Sdk, fn: string) =>
  sdk.logs
    .send(new CreateLogStreamCommand({ logGroupName: `/aws/lambda/${fn}`, logStreamName: stream }))
    .then(() =>
      sdk.logs.send(new PutLogEventsCommand({ logGroupName: `/aws/lambda/${fn}`, logStreamName: stream, logEvents: [{ timestamp: 1, message: 'x' }] })),
    );

const productFunctionCalls = (sdk: Sdk) => {
  const store = new DynamoDbProductStore(sdk.dynamodb, names.table, retryGuards.clockSkewSeconds);
  return store
    .put(write, store.horizon(), signal)
    .then(() => store.get(write.id, signal))
    .then(() => store.version(write.id, signal))
    .then(() => store.list(10, undefined, signal))
    .then(() => new WritePublisher(sdk.sns, topic).publish(write, signal))
    .then(() => logCalls(sdk, names.productFunction));
};

const retryFunctionCalls = (sdk: Sdk) => {
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
