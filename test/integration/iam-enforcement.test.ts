/**
 * IAM enforcement at the edge, in process: a role session's calls are served only as its role's
 * inline policies allow, and a refused one is answered in its service's own format (as the SDKs
 * parse it) without reaching the emulator or the service module; the user's calls are not
 * restricted; authorization comes before the Chaos API's faults.
 */
import { APIGatewayClient, GetRestApisCommand } from '@aws-sdk/client-api-gateway';
import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateRoleCommand, DeleteRolePolicyCommand, IAMClient, ListRolesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { localstack, region } from '#spec';
import { Chaos } from '../../offline/chaos/chaos';
import { Edge } from '../../offline/edge/edge';
import { ApiGatewayControlService } from '../../offline/services/apigateway/control';
import { IamService } from '../../offline/services/iam/iam';
import { CodeStore } from '../../offline/services/lambda/code';
import { LambdaService } from '../../offline/services/lambda/control';
import { LogsService } from '../../offline/services/logs/service';
import { StsService } from '../../offline/services/sts';
import { refusal, type SessionCredentials, sessionConfig, sessionCredentials } from '../support/sdk-calls';
import { arn, queueUrlAt, sdkConfig } from '../support/clients';

const accountId = localstack.accountId;
const roleName = 'EnforcedRole';
const sessionName = 'enforced';
const sessionArn = `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
const table = arn('dynamodb', 'table/Allowed');
const otherTable = arn('dynamodb', 'table/Other');
const trust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const policy = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

/** The emulators' stand-in: records what reaches it and answers every call with an empty success. */
const reached: string[] = [];
const backend = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    reached.push(String(req.headers['x-amz-target'] ?? new URLSearchParams(body).get('Action')));
    res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' }).end('{}');
  });
});

const logs: string[] = [];
const chaos = new Chaos();
let edge: Edge;
let url: string;
let user: IAMClient;
let credentials: SessionCredentials;

beforeAll(async () => {
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const backendPort = (backend.address() as AddressInfo).port;
  const iam = new IamService();
  const sts = new StsService(iam);
  edge = new Edge({
    host: '127.0.0.1',
    port: 0,
    chaos,
    backends: { dynamodb: backendPort, sns: backendPort, sqs: backendPort },
    backendKey: 'unit-test',
    // No function is deployed here, so nothing is unpacked.
    services: [
      iam,
      sts,
      new LogsService(),
      new LambdaService(new CodeStore(path.join(os.tmpdir(), 'iam-enforcement-no-code'))),
      new ApiGatewayControlService(),
    ],
    enforceIam: { sessions: sts, roles: iam },
    accountId,
    api: () => Promise.resolve({ statusCode: 404, headers: {}, body: '' }),
    health: () => ({}),
    log: (line) => logs.push(line),
  });
  url = `http://127.0.0.1:${await edge.listen()}`;
  user = new IAMClient(sdkConfig(url));
  const { Role } = await user.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trust }));
  const stsClient = new STSClient(sdkConfig(url));
  const { Credentials } = await stsClient.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: sessionName }));
  stsClient.destroy();
  credentials = sessionCredentials(Credentials);
});

beforeEach(async () => {
  reached.length = 0;
  logs.length = 0;
  chaos.setFaults([]);
  await user.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: 'Access',
      PolicyDocument: policy({ Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: table }),
    }),
  );
});

afterAll(async () => {
  user.destroy();
  await edge.close();
  await new Promise((resolve) => backend.close(resolve));
});

const asRole = <T>(Client: new (config: ReturnType<typeof sessionConfig>) => T): T => new Client(sessionConfig(url, credentials));

const denied = (action: string, resource: string) =>
  `User: ${sessionArn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

const putItem = (client: DynamoDBClient, name: string) => client.send(new PutItemCommand({ TableName: name, Item: { id: { S: 'p1' } } }));

describe('a role session', () => {
  it('is served what its role allows, and refused the rest as DynamoDB refuses it, before the emulator', async () => {
    const dynamodb = asRole(DynamoDBClient);
    await putItem(dynamodb, 'Allowed');
    expect(reached).toEqual(['DynamoDB_20120810.PutItem']);
    expect(await refusal(putItem(dynamodb, 'Other'))).toEqual({ name: 'AccessDeniedException', status: 400, message: denied('dynamodb:PutItem', otherTable) });
    expect(reached).toHaveLength(1);
    expect(logs).toContain(
      `AWS dynamodb.PutItem => 400 (AccessDeniedException): AccessDenied for role ${roleName}, dynamodb:PutItem on ${otherTable} (no identity-based policy allows it)`,
    );
    dynamodb.destroy();
  });

  it('is refused SQS calls as SQS refuses them, in the JSON protocol and the query protocol', async () => {
    const queueUrl = queueUrlAt(url, 'Queue');
    const queue = arn('sqs', 'Queue');
    const sqs = asRole(SQSClient);
    expect(await refusal(sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' })))).toEqual({
      name: 'AccessDenied',
      status: 403,
      message: denied('sqs:SendMessage', queue),
    });
    sqs.destroy();

    // The query protocol, as older AWS CLI v1 releases send it.
    const authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20260101/${region}/sqs/aws4_request, SignedHeaders=host, Signature=0`;
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ Action: 'SendMessage', QueueUrl: queueUrl, MessageBody: 'x' }).toString(),
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain(`<Code>AccessDenied</Code><Message>${denied('sqs:SendMessage', queue)}</Message>`);
    expect(reached).toEqual([]);
  });

  it('is refused an SNS publish with AuthorizationError', async () => {
    const topic = arn('sns', 'Topic');
    const sns = asRole(SNSClient);
    expect(await refusal(sns.send(new PublishCommand({ TopicArn: topic, Message: 'x' })))).toEqual({
      // The SDK's class for the code AuthorizationError, which the raw answer carries.
      name: 'AuthorizationErrorException',
      status: 403,
      message: denied('sns:Publish', topic),
    });
    const raw = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20260101/${region}/sns/aws4_request, SignedHeaders=host, Signature=0`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ Action: 'Publish', TopicArn: topic, Message: 'x' }).toString(),
    });
    expect(await raw.text()).toContain('<Code>AuthorizationError</Code>');
    expect(reached).toEqual([]);
  });

  it("is refused the control plane in each service's format", async () => {
    const lambda = asRole(LambdaClient);
    const logsClient = asRole(CloudWatchLogsClient);
    const apigateway = asRole(APIGatewayClient);
    const iam = asRole(IAMClient);
    const sts = asRole(STSClient);
    const refusals = [
      await refusal(lambda.send(new ListFunctionsCommand({}))),
      await refusal(logsClient.send(new CreateLogGroupCommand({ logGroupName: '/aws/lambda/Nope' }))),
      await refusal(apigateway.send(new GetRestApisCommand({}))),
      await refusal(iam.send(new ListRolesCommand({}))),
      await refusal(sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`, RoleSessionName: 'again' }))),
    ];
    expect(refusals).toEqual([
      { name: 'AccessDeniedException', status: 403, message: denied('lambda:ListFunctions', '*') },
      { name: 'AccessDeniedException', status: 400, message: denied('logs:CreateLogGroup', arn('logs', 'log-group:/aws/lambda/Nope')) },
      { name: 'AccessDeniedException', status: 403, message: denied('apigateway:GET', `arn:aws:apigateway:${region}::/restapis`) },
      { name: 'AccessDenied', status: 403, message: denied('iam:ListRoles', '*') },
      { name: 'AccessDenied', status: 403, message: denied('sts:AssumeRole', `arn:aws:iam::${accountId}:role/${roleName}`) },
    ]);
    // GetCallerIdentity needs no permission, and names the session.
    expect(await sts.send(new GetCallerIdentityCommand({}))).toMatchObject({ Arn: sessionArn });
    for (const client of [lambda, logsClient, apigateway, iam, sts]) client.destroy();
  });

  it('is refused a call whose IAM action the runtime cannot name, even when granted everything', async () => {
    await user.send(
      new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'Access', PolicyDocument: policy({ Effect: 'Allow', Action: '*', Resource: '*' }) }),
    );
    const response = await fetch(`${url}/2015-03-31/nothing-here`, {
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20260101/${region}/lambda/aws4_request, SignedHeaders=host, Signature=0`,
      },
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
    expect(await response.text()).toContain('lambda GET /2015-03-31/nothing-here: the offline runtime cannot name the IAM action it needs');
  });

  it('meets the policies as they are now: a grant, then an explicit Deny that wins over it, then none at all', async () => {
    const dynamodb = asRole(DynamoDBClient);
    expect((await refusal(putItem(dynamodb, 'Other'))).name).toBe('AccessDeniedException');
    await user.send(
      new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'Access', PolicyDocument: policy({ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }) }),
    );
    await putItem(dynamodb, 'Other');
    await user.send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: 'NoOther',
        PolicyDocument: policy({ Effect: 'Deny', Action: 'dynamodb:PutItem', Resource: otherTable }),
      }),
    );
    expect((await refusal(putItem(dynamodb, 'Other'))).message).toBe(
      `User: ${sessionArn} is not authorized to perform: dynamodb:PutItem on resource: ${otherTable} with an explicit deny in an identity-based policy`,
    );
    await putItem(dynamodb, 'Allowed');
    await user.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: 'NoOther' }));
    await user.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: 'Access' }));
    expect((await refusal(putItem(dynamodb, 'Allowed'))).name).toBe('AccessDeniedException');
    dynamodb.destroy();
  });

  it('is refused before a fault applies; an allowed call meets the fault', async () => {
    chaos.setFaults([{ service: 'dynamodb' }]);
    const dynamodb = asRole(DynamoDBClient);
    expect((await refusal(putItem(dynamodb, 'Other'))).name).toBe('AccessDeniedException');
    expect((await refusal(putItem(dynamodb, 'Allowed'))).name).toBe('ServiceUnavailable');
    dynamodb.destroy();
  });
});

it("does not restrict the user's credentials", async () => {
  const dynamodb = new DynamoDBClient(sdkConfig(url));
  await putItem(dynamodb, 'Other');
  const sqs = new SQSClient(sdkConfig(url));
  // The stand-in answers `{}`: the SDK then finds no MD5 to check, so the send is served.
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrlAt(url, 'Queue'), MessageBody: 'x' })).catch(() => undefined);
  expect(reached).toEqual(['DynamoDB_20120810.PutItem', 'AmazonSQS.SendMessage']);
  expect(logs.join('\n')).not.toMatch(/AccessDenied/);
  dynamodb.destroy();
  sqs.destroy();
});
