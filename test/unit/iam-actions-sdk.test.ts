/** The IAM action and resource of the other calls (the control plane's, and the services' beyond what the functions call) as the SDK sends them, and the function a name names. */
import {
  CreateResourceCommand,
  GetRestApiCommand,
  PutMethodCommand,
  TagResourceCommand as TagApiCommand,
  UpdateStageCommand,
} from '@aws-sdk/client-api-gateway';
import { DescribeLogGroupsCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { BatchWriteItemCommand, DescribeTimeToLiveCommand, ListTablesCommand, QueryCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { GetRoleCommand, ListRolesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  ListTagsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { CreateTopicCommand, PublishBatchCommand, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { ChangeMessageVisibilityBatchCommand, CreateQueueCommand, GetQueueUrlCommand, ListQueuesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { names, region } from '#spec';
import { authorizationOf, functionArnOf, type Authorization } from '../../offline/services/iam/actions';
import { arn } from '../support/clients';
import {
  accountId,
  authorizationsOfCommand,
  deadLetterQueue,
  deadLetterQueueUrl,
  handCall,
  logGroup,
  queue,
  queueUrl,
  type Sdk,
  table,
  topic,
} from '../support/recorded-calls';

describe('other calls as the SDK sends them', () => {
  const fn = arn('lambda', `function:${names.productFunction}`);
  const role = `arn:aws:iam::${accountId}:role/${names.productFunction}Role`;
  const api = `arn:aws:apigateway:${region}::/restapis/${names.restApiId}`;

  it.each<[string, (sdk: Sdk) => Promise<unknown>, string, Authorization[]]>([
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
    const call = handCall('dynamodb', 'json', 'ExecuteStatement', '{"Statement":"SELECT * FROM Products"}');
    expect(authorizationOf(call)).toEqual([{ action: 'dynamodb:ExecuteStatement', resource: '*' }]);
  });

  it('names API Gateway actions from the operation when the method is not given', () => {
    const call = handCall('apigateway', 'rest-json', 'DeleteStage', '', `/restapis/${names.restApiId}/stages/dev`);
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
