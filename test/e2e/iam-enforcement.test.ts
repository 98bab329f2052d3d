/**
 * IAM enforced from the deployed roles, against a runtime started empty: a role and its inline
 * policy made with the IAM API, a session of it from STS, then that session's calls served only
 * as the role's policies allow (the SDK and the real AWS CLI see each refusal in its service's
 * format), a put-role-policy taking effect on the next call, a Deny winning over an Allow, a
 * policy full of wildcards still answered, and the user's test credentials unrestricted.
 */
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateRoleCommand, DeleteRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { localstack } from '#spec';
import { refusal, type SessionCredentials, sessionConfig, sessionCredentials } from '../support/sdk-calls';
import { arn, awsCli, awsCliEnv, hasAwsCli, sdkConfig } from '../support/clients';
import { type OfflineRuntime, runtimeForSuite } from '../support/offline';

let runtime: OfflineRuntime;
runtimeForSuite((started) => (runtime = started), { empty: true });

const roleName = 'IamEnforcedRole';
const sessionName = 'e2e';
const sessionArn = `arn:aws:sts::${localstack.accountId}:assumed-role/${roleName}/${sessionName}`;
const allowedTable = arn('dynamodb', 'table/IamAllowed');
const otherTable = arn('dynamodb', 'table/IamOther');
const queueArn = arn('sqs', 'IamQueue');
const trust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const policy = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

let credentials: SessionCredentials;
let queueUrl: string;
let topicArn: string;

const user = <T>(Client: new (config: ReturnType<typeof sdkConfig>) => T): T => new Client(sdkConfig(runtime.url));
const asRole = <T>(Client: new (config: ReturnType<typeof sessionConfig>) => T): T => new Client(sessionConfig(runtime.url, credentials));

/** The real AWS CLI signing with the role session's credentials; its error line, or undefined when the call succeeds. */
async function cliAsRole(...args: string[]): Promise<string | undefined> {
  const env = {
    ...awsCliEnv(),
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
  };
  try {
    await promisify(execFile)('aws', ['--endpoint-url', runtime.url, ...args], { env });
    return undefined;
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error).trim();
  }
}

const notAllowed = (action: string, resource: string) =>
  `User: ${sessionArn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

const putItem = (client: DynamoDBClient, table: string, id: string) => client.send(new PutItemCommand({ TableName: table, Item: { id: { S: id } } }));

beforeAll(async () => {
  if (!(await hasAwsCli())) throw new Error('the AWS CLI (aws) is needed for this suite');
  const dynamodb = user(DynamoDBClient);
  for (const TableName of ['IamAllowed', 'IamOther']) {
    await dynamodb.send(
      new CreateTableCommand({
        TableName,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  }
  dynamodb.destroy();
  const sqs = user(SQSClient);
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'IamQueue' }))).QueueUrl!;
  sqs.destroy();
  const sns = user(SNSClient);
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'IamTopic' }))).TopicArn!;
  sns.destroy();

  const iam = user(IAMClient);
  const { Role } = await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trust }));
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: 'Access',
      PolicyDocument: policy({ Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:GetItem'], Resource: allowedTable }),
    }),
  );
  iam.destroy();
  const sts = user(STSClient);
  const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: sessionName }));
  sts.destroy();
  credentials = sessionCredentials(Credentials);
});

it("serves the role's allowed DynamoDB write and refuses the other with DynamoDB's AccessDeniedException", async () => {
  const dynamodb = asRole(DynamoDBClient);
  await putItem(dynamodb, 'IamAllowed', 'allowed');
  expect((await dynamodb.send(new GetItemCommand({ TableName: 'IamAllowed', Key: { id: { S: 'allowed' } } }))).Item).toEqual({ id: { S: 'allowed' } });
  expect(await refusal(putItem(dynamodb, 'IamOther', 'refused'))).toEqual({
    name: 'AccessDeniedException',
    status: 400,
    message: notAllowed('dynamodb:PutItem', otherTable),
  });
  dynamodb.destroy();
  // The refused write never reached the table.
  const admin = user(DynamoDBClient);
  expect((await admin.send(new GetItemCommand({ TableName: 'IamOther', Key: { id: { S: 'refused' } } }))).Item).toBeUndefined();
  admin.destroy();
  // The learner sees it in the runtime's output.
  expect(runtime.logs).toContain(
    `AWS dynamodb.PutItem => 400 (AccessDeniedException): AccessDenied for role ${roleName}, dynamodb:PutItem on ${otherTable} (no identity-based policy allows it)`,
  );
});

it('refuses an SQS send with AccessDenied, to the SDK and to the AWS CLI, and an SNS publish with AuthorizationError', async () => {
  const sqs = asRole(SQSClient);
  expect(await refusal(sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' })))).toEqual({
    name: 'AccessDenied',
    status: 403,
    message: notAllowed('sqs:SendMessage', queueArn),
  });
  sqs.destroy();
  expect(await cliAsRole('sqs', 'send-message', '--queue-url', queueUrl, '--message-body', 'x')).toBe(
    `An error occurred (AccessDenied) when calling the SendMessage operation: ${notAllowed('sqs:SendMessage', queueArn)}`,
  );

  const sns = asRole(SNSClient);
  expect(await refusal(sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'x' })))).toEqual({
    name: 'AuthorizationErrorException',
    status: 403,
    message: notAllowed('sns:Publish', topicArn),
  });
  sns.destroy();
  expect(await cliAsRole('sns', 'publish', '--topic-arn', topicArn, '--message', 'x')).toBe(
    `An error occurred (AuthorizationError) when calling the Publish operation: ${notAllowed('sns:Publish', topicArn)}`,
  );
  expect(runtime.logs).toContain(
    `AWS sqs.SendMessage => 403 (AccessDenied): AccessDenied for role ${roleName}, sqs:SendMessage on ${queueArn} (no identity-based policy allows it)`,
  );
  expect(await runtime.depth('IamQueue')).toBe(0);
});

it('allows the send on the next call once `aws iam put-role-policy` grants it', async () => {
  const grant = policy({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn });
  await awsCli(runtime.url, 'iam', 'put-role-policy', '--role-name', roleName, '--policy-name', 'Send', '--policy-document', grant);
  const sqs = asRole(SQSClient);
  expect((await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'sdk' }))).MessageId).toBeDefined();
  sqs.destroy();
  expect(await cliAsRole('sqs', 'send-message', '--queue-url', queueUrl, '--message-body', 'cli')).toBeUndefined();
  expect(await runtime.depth('IamQueue')).toBe(2);
});

it('lets a Deny statement win over an Allow', async () => {
  const deny = policy({ Effect: 'Deny', Action: 'dynamodb:*', Resource: allowedTable });
  await awsCli(runtime.url, 'iam', 'put-role-policy', '--role-name', roleName, '--policy-name', 'Deny', '--policy-document', deny);
  const dynamodb = asRole(DynamoDBClient);
  expect(await refusal(putItem(dynamodb, 'IamAllowed', 'denied'))).toEqual({
    name: 'AccessDeniedException',
    status: 400,
    message: `User: ${sessionArn} is not authorized to perform: dynamodb:PutItem on resource: ${allowedTable} with an explicit deny in an identity-based policy`,
  });
  dynamodb.destroy();
  await awsCli(runtime.url, 'iam', 'delete-role-policy', '--role-name', roleName, '--policy-name', 'Deny');
});

it('answers a call under a policy whose resource pattern has 30 wildcards', async () => {
  // A Deny evaluated on every call of the role and matching none of them, beside the grant that decides.
  const wild = policy(
    { Effect: 'Deny', Action: 'sns:*', Resource: `arn:${'*'.repeat(30)}Z` },
    { Effect: 'Allow', Action: 'sns:Publish', Resource: `arn:${'*'.repeat(30)}:IamTopic` },
  );
  const iam = user(IAMClient);
  await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'Wildcards', PolicyDocument: wild }));
  const sns = asRole(SNSClient);
  expect((await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'wild' }))).MessageId).toBeDefined();
  sns.destroy();
  await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: 'Wildcards' }));
  iam.destroy();
});

it("does not restrict the user's test credentials", async () => {
  const dynamodb = user(DynamoDBClient);
  await putItem(dynamodb, 'IamOther', 'by-user');
  dynamodb.destroy();
  const sns = user(SNSClient);
  expect((await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'x' }))).MessageId).toBeDefined();
  sns.destroy();
  expect(JSON.parse(await awsCli(runtime.url, 'sqs', 'send-message', '--queue-url', queueUrl, '--message-body', 'user'))).toHaveProperty('MessageId');
});
