/** The IAM and STS modules as the real SDK clients and the AWS CLI see them over HTTP. */
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { localstack, names, region } from '#spec';
import { IamService } from '../../offline/services/iam/iam';
import type { AuthorizedCall } from '../../offline/services/iam/actions';
import { StsService } from '../../offline/services/sts';
import { awsCli, hasAwsCli, queueUrlAt, sdkConfig } from '../support/clients';
import { refusal, sessionConfig, sessionCredentials } from '../support/sdk-calls';
import { serveServices, type ServiceServer } from '../support/service-server';

const trust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const access = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: `arn:aws:sqs:${region}:${localstack.accountId}:${names.queue}` }],
});

let server: ServiceServer;
let iam: IamService;
let sts: StsService;
let iamClient: IAMClient;
let stsClient: STSClient;

beforeEach(async () => {
  iam = new IamService();
  sts = new StsService(iam);
  server = await serveServices([iam, sts], { principalOf: (key) => sts.principalOf(key) });
  iamClient = new IAMClient(sdkConfig(server.url));
  stsClient = new STSClient(sdkConfig(server.url));
});

afterEach(async () => {
  iamClient.destroy();
  stsClient.destroy();
  await server.close();
});

const roleName = `${names.retryFunction}Role`;
const createRole = () =>
  iamClient.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trust, Tags: [{ Key: 'app', Value: 'products' }] }));

it('creates a role as IAM does: id, ARN, date, documents URL-encoded', async () => {
  const { Role: created } = await createRole();
  expect(created).toMatchObject({ RoleName: roleName, Path: '/', Arn: `arn:aws:iam::${localstack.accountId}:role/${roleName}`, MaxSessionDuration: 3600 });
  expect(created!.RoleId).toMatch(/^AROA[A-Z0-9]{17}$/);
  expect(created!.CreateDate).toBeInstanceOf(Date);

  const { Role: role } = await iamClient.send(new GetRoleCommand({ RoleName: roleName }));
  expect(role).toMatchObject({ RoleId: created!.RoleId, Tags: [{ Key: 'app', Value: 'products' }] });
  expect(decodeURIComponent(role!.AssumeRolePolicyDocument!)).toBe(trust);
  expect(role!.CreateDate).toEqual(created!.CreateDate);

  const { Roles } = await iamClient.send(new ListRolesCommand({}));
  expect(Roles!.map((listed) => listed.RoleName)).toEqual([roleName]);
});

it('path, description and session duration, and their updates', async () => {
  const { Role } = await iamClient.send(
    new CreateRoleCommand({ RoleName: 'Pathed', Path: '/app/', Description: 'first', MaxSessionDuration: 7200, AssumeRolePolicyDocument: trust }),
  );
  expect(Role).toMatchObject({ Arn: `arn:aws:iam::${localstack.accountId}:role/app/Pathed`, Description: 'first', MaxSessionDuration: 7200 });
  await iamClient.send(new UpdateRoleCommand({ RoleName: 'Pathed', Description: 'second', MaxSessionDuration: 3600 }));
  const updatedTrust = trust.replace('lambda', 'apigateway');
  await iamClient.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'Pathed', PolicyDocument: updatedTrust }));
  const { Role: updated } = await iamClient.send(new GetRoleCommand({ RoleName: 'Pathed' }));
  expect(updated).toMatchObject({ Description: 'second', MaxSessionDuration: 3600 });
  expect(decodeURIComponent(updated!.AssumeRolePolicyDocument!)).toBe(updatedTrust);
});

it('puts, gets, lists and deletes an inline policy, and hands it to the evaluator', async () => {
  const { Role } = await createRole();
  await iamClient.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'Access', PolicyDocument: access }));

  const got = await iamClient.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: 'Access' }));
  expect(got).toMatchObject({ RoleName: roleName, PolicyName: 'Access' });
  expect(got.PolicyDocument).toBe(encodeURIComponent(access));
  expect((await iamClient.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames).toEqual(['Access']);
  expect(iam.policiesOf(Role!.Arn!)).toEqual([access]);
  expect((await iamClient.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies).toEqual([]);
  expect((await iamClient.send(new ListInstanceProfilesForRoleCommand({ RoleName: roleName }))).InstanceProfiles).toEqual([]);

  await iamClient.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: 'Access' }));
  expect((await iamClient.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames).toEqual([]);
  expect(iam.policiesOf(Role!.Arn!)).toEqual([]);
});

it("authorizes a role session's call by its role's inline policies as they are now", async () => {
  const { Role } = await createRole();
  const { Credentials } = await stsClient.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: names.retryFunction }));
  const principal = sts.principalOf(Credentials!.AccessKeyId!);
  if (principal.kind !== 'role') throw new Error('not a role session');
  const send: AuthorizedCall = {
    service: 'sqs',
    operation: 'SendMessage',
    body: JSON.stringify({ QueueUrl: queueUrlAt(localstack.endpoint, names.queue), MessageBody: 'x' }),
    path: '/',
    region,
    accountId: localstack.accountId,
    protocol: 'json',
  };
  const refused = `sqs:SendMessage on arn:aws:sqs:${region}:${localstack.accountId}:${names.queue} (no identity-based policy allows it)`;

  expect(iam.authorize(principal, send)?.summary).toBe(refused);
  await iamClient.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'Access', PolicyDocument: access }));
  expect(iam.authorize(principal, send)).toBeUndefined();
  await iamClient.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: 'Access' }));
  await iamClient.send(new DeleteRoleCommand({ RoleName: roleName }));
  // The session outlives its role, as on AWS, but may do nothing.
  expect(iam.authorize(principal, send)?.summary).toBe(refused);
});

it('tags and untags a role', async () => {
  await createRole();
  await iamClient.send(new TagRoleCommand({ RoleName: roleName, Tags: [{ Key: 'team', Value: 'a <b> & c' }] }));
  await iamClient.send(new UntagRoleCommand({ RoleName: roleName, TagKeys: ['app'] }));
  expect((await iamClient.send(new ListRoleTagsCommand({ RoleName: roleName }))).Tags).toEqual([{ Key: 'team', Value: 'a <b> & c' }]);
});

it('answers what is missing with NoSuchEntity 404, as Terraform expects to recreate it', async () => {
  expect(await refusal(iamClient.send(new GetRoleCommand({ RoleName: 'Nope' })))).toEqual({
    name: 'NoSuchEntityException',
    status: 404,
    message: 'The role with name Nope cannot be found.',
  });
  await createRole();
  expect(await refusal(iamClient.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: 'Nope' })))).toEqual({
    name: 'NoSuchEntityException',
    status: 404,
    message: 'The role policy with name Nope cannot be found.',
  });
});

it('refuses a duplicate role, a malformed policy, and deleting a role that still has policies', async () => {
  await createRole();
  expect(await refusal(createRole())).toMatchObject({ name: 'EntityAlreadyExistsException', status: 409 });
  expect(await refusal(iamClient.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'Bad', PolicyDocument: '{' })))).toMatchObject({
    name: 'MalformedPolicyDocumentException',
    status: 400,
  });
  await iamClient.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'Access', PolicyDocument: access }));
  expect(await refusal(iamClient.send(new DeleteRoleCommand({ RoleName: roleName })))).toMatchObject({ name: 'DeleteConflictException', status: 409 });
  await iamClient.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: 'Access' }));
  await iamClient.send(new DeleteRoleCommand({ RoleName: roleName }));
  expect(await refusal(iamClient.send(new GetRoleCommand({ RoleName: roleName })))).toMatchObject({ status: 404 });
});

it('tells the user and a role session who they are', async () => {
  expect(await stsClient.send(new GetCallerIdentityCommand({}))).toMatchObject({
    Account: localstack.accountId,
    Arn: `arn:aws:iam::${localstack.accountId}:root`,
    UserId: localstack.accountId,
  });

  const { Role } = await createRole();
  const { Credentials, AssumedRoleUser } = await stsClient.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: names.retryFunction }));
  const sessionArn = `arn:aws:sts::${localstack.accountId}:assumed-role/${roleName}/${names.retryFunction}`;
  expect(AssumedRoleUser).toEqual({ AssumedRoleId: `${Role!.RoleId}:${names.retryFunction}`, Arn: sessionArn });
  expect(Credentials!.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
  expect(sts.principalOf(Credentials!.AccessKeyId!)).toEqual({
    kind: 'role',
    accessKeyId: Credentials!.AccessKeyId,
    roleArn: Role!.Arn,
    roleName,
    arn: sessionArn,
  });

  const asRole = new STSClient(sessionConfig(server.url, sessionCredentials(Credentials)));
  expect(await asRole.send(new GetCallerIdentityCommand({}))).toMatchObject({ Arn: sessionArn, UserId: `${Role!.RoleId}:${names.retryFunction}` });
  asRole.destroy();
});

it("answers the provider's account look-up: GetUser is the caller, the account's root user", async () => {
  expect((await iamClient.send(new GetUserCommand({}))).User).toMatchObject({ UserId: localstack.accountId, Arn: `arn:aws:iam::${localstack.accountId}:root` });
  expect(await refusal(iamClient.send(new GetUserCommand({ UserName: 'someone' })))).toMatchObject({ name: 'NoSuchEntityException', status: 404 });

  const { Role } = await createRole();
  const { Credentials } = await stsClient.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: 'session' }));
  const asRole = new IAMClient(sessionConfig(server.url, sessionCredentials(Credentials)));
  expect(await refusal(asRole.send(new GetUserCommand({})))).toMatchObject({ name: 'ValidationError', status: 400 });
  asRole.destroy();
});

it('refuses to assume a role that does not exist', async () => {
  const roleArn = `arn:aws:iam::${localstack.accountId}:role/Nope`;
  expect(await refusal(stsClient.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'session' })))).toMatchObject({
    name: 'AccessDenied',
    status: 403,
  });
});

it('answers the AWS CLI (botocore parses the XML and decodes the documents)', async () => {
  if (!(await hasAwsCli())) return;
  await createRole();
  await iamClient.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'Access', PolicyDocument: access }));
  const { Role } = JSON.parse(await awsCli(server.url, 'iam', 'get-role', '--role-name', roleName)) as {
    Role: { RoleName: string; AssumeRolePolicyDocument: unknown };
  };
  expect(Role.RoleName).toBe(roleName);
  expect(Role.AssumeRolePolicyDocument).toEqual(JSON.parse(trust));
  const policy = JSON.parse(await awsCli(server.url, 'iam', 'get-role-policy', '--role-name', roleName, '--policy-name', 'Access')) as {
    PolicyDocument: unknown;
  };
  expect(policy.PolicyDocument).toEqual(JSON.parse(access));
  await expect(awsCli(server.url, 'iam', 'get-role', '--role-name', 'Nope')).rejects.toThrow(/NoSuchEntity.*The role with name Nope cannot be found/);
  const identity = JSON.parse(await awsCli(server.url, 'sts', 'get-caller-identity')) as { Arn: string };
  expect(identity.Arn).toBe(`arn:aws:iam::${localstack.accountId}:root`);
});
