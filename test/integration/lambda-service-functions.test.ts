/** The Lambda control plane's functions as the real SDK client and the AWS CLI see them over HTTP: configuration, concurrency, permissions, errors, and the inventory the runtime reads. */
import {
  AddPermissionCommand,
  CreateEventSourceMappingCommand,
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  GetFunctionCodeSigningConfigCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  LambdaClient,
  ListFunctionsCommand,
  ListTagsCommand,
  ListVersionsByFunctionCommand,
  PutFunctionConcurrencyCommand,
  RemovePermissionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { functions, localstack, names, region, serviceGrant } from '#spec';
import type { LambdaService } from '../../offline/services/lambda/control';
import type { LambdaChange } from '../../offline/services/lambda/model';
import { createFunction, functionArn, functionName as name, queueArn, role, serveLambda, type ServedLambda, sha256, zip } from '../support/lambda-service';
import { awsCli, hasAwsCli } from '../support/clients';
import { refusal } from '../support/sdk-calls';
import { storedZip } from '../support/zips';

let served: ServedLambda;
let lambda: LambdaService;
let client: LambdaClient;
let changes: LambdaChange[];
let handlerOf: ServedLambda['handlerOf'];

beforeEach(async () => {
  served = await serveLambda();
  ({ lambda, client, changes, handlerOf } = served);
});

afterEach(() => served.close());

it('creates a function from a zip and describes it with the fields the Terraform provider reads', async () => {
  const created = await createFunction(client);
  const expected = {
    FunctionName: name,
    FunctionArn: functionArn,
    Runtime: functions.runtime,
    Handler: functions.handler,
    Role: role,
    CodeSha256: sha256(zip),
    CodeSize: zip.length,
    Description: '',
    Timeout: 20,
    MemorySize: functions.memoryMb,
    Environment: { Variables: { TABLE_NAME: names.table } },
    Version: '$LATEST',
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: ['x86_64'],
    EphemeralStorage: { Size: 512 },
    TracingConfig: { Mode: 'PassThrough' },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${name}` },
    RevisionId: expect.any(String),
    LastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/),
  };
  expect(created).toMatchObject({ ...expected, $metadata: { httpStatusCode: 201 } });

  const got = await client.send(new GetFunctionCommand({ FunctionName: name }));
  expect(got.Configuration).toMatchObject(expected);
  expect(got.Code).toEqual({ RepositoryType: 'S3', Location: expect.stringMatching(/^https:\/\//) });
  expect(got.Tags).toEqual({ app: 'products' });
  expect(got.Concurrency).toBeUndefined();

  // A name, a full ARN, a partial ARN and $LATEST all name the same function.
  for (const FunctionName of [functionArn, `${localstack.accountId}:function:${name}`, `${name}:$LATEST`]) {
    expect((await client.send(new GetFunctionConfigurationCommand({ FunctionName }))).RevisionId).toBe(created.RevisionId);
  }
  expect((await client.send(new ListFunctionsCommand({}))).Functions!.map((fn) => fn.FunctionName)).toEqual([name]);
  expect((await client.send(new ListVersionsByFunctionCommand({ FunctionName: name }))).Versions).toEqual([
    expect.objectContaining({ Version: '$LATEST', FunctionArn: `${functionArn}:$LATEST` }),
  ]);
  expect(await client.send(new GetFunctionCodeSigningConfigCommand({ FunctionName: name }))).toMatchObject({ CodeSigningConfigArn: '', FunctionName: name });

  expect(lambda.function(name)).toMatchObject({ arn: functionArn, handler: functions.handler, timeout: 20, environment: { TABLE_NAME: names.table } });
  expect(handlerOf(functionArn)).toBe('exports.handler = async () => "v1";\n');
  expect(changes).toEqual([{ kind: 'function', change: 'created', function: lambda.function(name) }]);

  expect(await refusal(createFunction(client))).toEqual({ name: 'ResourceConflictException', status: 409, message: `Function already exist: ${name}` });
});

it('updates code and configuration; the inventory and the listeners see each change', async () => {
  const created = await createFunction(client);
  const v2 = storedZip('index.js', 'exports.handler = async () => "v2";\n');
  const updated = await client.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: v2 }));
  expect(updated).toMatchObject({ CodeSha256: sha256(v2), CodeSize: v2.length, LastUpdateStatus: 'Successful' });
  expect(updated.RevisionId).not.toBe(created.RevisionId);
  expect(handlerOf(name)).toBe('exports.handler = async () => "v2";\n');

  const configured = await client.send(
    new UpdateFunctionConfigurationCommand({ FunctionName: functionArn, Timeout: 5, MemorySize: 512, Environment: { Variables: { MODE: 'outage' } } }),
  );
  expect(configured).toMatchObject({ Timeout: 5, MemorySize: 512, Environment: { Variables: { MODE: 'outage' } }, CodeSha256: sha256(v2) });
  expect(lambda.function(name)).toMatchObject({ timeout: 5, memorySize: 512, environment: { MODE: 'outage' }, handler: functions.handler });

  // The provider clears the variables with an empty Environment.
  const cleared = await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Environment: {} }));
  expect(cleared.Environment).toBeUndefined();
  expect(lambda.function(name)!.environment).toEqual({});
  expect(changes.map((change) => change.kind === 'function' && change.change)).toEqual(['created', 'code', 'configuration', 'configuration']);

  const stale = await refusal(client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 9, RevisionId: created.RevisionId })));
  expect(stale).toMatchObject({ name: 'PreconditionFailedException', status: 412 });
  const invalid = await refusal(client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 901 })));
  expect(invalid).toMatchObject({ name: 'ValidationException', status: 400 });
  expect(invalid.message).toContain("Value '901' at 'timeout' failed to satisfy constraint");
  expect(lambda.function(name)!.timeout).toBe(5);
});

it('sets and removes the reserved concurrency', async () => {
  await createFunction(client);
  expect(await client.send(new PutFunctionConcurrencyCommand({ FunctionName: name, ReservedConcurrentExecutions: 0 }))).toMatchObject({
    ReservedConcurrentExecutions: 0,
  });
  expect((await client.send(new GetFunctionConcurrencyCommand({ FunctionName: name }))).ReservedConcurrentExecutions).toBe(0);
  expect((await client.send(new GetFunctionCommand({ FunctionName: name }))).Concurrency).toEqual({ ReservedConcurrentExecutions: 0 });
  expect(lambda.function(name)!.reservedConcurrency).toBe(0);

  await client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: name }));
  expect((await client.send(new GetFunctionConcurrencyCommand({ FunctionName: name }))).ReservedConcurrentExecutions).toBeUndefined();
  expect(lambda.function(name)!.reservedConcurrency).toBeUndefined();
});

it('keeps permissions in a resource policy, as GetPolicy shows it', async () => {
  await createFunction(client);
  const sourceArn = `arn:aws:execute-api:${region}:${localstack.accountId}:${names.restApiId}/*/*/${names.resource}`;
  const permission = {
    FunctionName: name,
    StatementId: 'AllowProductApiInvoke',
    Action: 'lambda:InvokeFunction',
    Principal: 'apigateway.amazonaws.com',
    SourceArn: sourceArn,
  };
  const added = await client.send(new AddPermissionCommand(permission));
  const statement = serviceGrant('AllowProductApiInvoke', 'apigateway.amazonaws.com', 'lambda:InvokeFunction', functionArn, {
    ArnLike: { 'AWS:SourceArn': sourceArn },
  });
  expect(JSON.parse(added.Statement!)).toEqual(statement);
  await client.send(new AddPermissionCommand({ FunctionName: name, StatementId: 'Account', Action: 'lambda:GetFunction', Principal: localstack.accountId }));

  const { Policy, RevisionId } = await client.send(new GetPolicyCommand({ FunctionName: functionArn }));
  expect(JSON.parse(Policy!)).toEqual({
    Version: '2012-10-17',
    Id: 'default',
    Statement: [statement, expect.objectContaining({ Sid: 'Account', Principal: { AWS: `arn:aws:iam::${localstack.accountId}:root` } })],
  });
  expect(RevisionId).toBe(lambda.function(name)!.revisionId);

  expect(await refusal(client.send(new AddPermissionCommand(permission)))).toMatchObject({ name: 'ResourceConflictException', status: 409 });
  await client.send(new RemovePermissionCommand({ FunctionName: name, StatementId: 'Account' }));
  await client.send(new RemovePermissionCommand({ FunctionName: name, StatementId: 'AllowProductApiInvoke' }));
  expect(await refusal(client.send(new GetPolicyCommand({ FunctionName: name })))).toEqual({
    name: 'ResourceNotFoundException',
    status: 404,
    message: 'The resource you requested does not exist.',
  });
  expect(await refusal(client.send(new RemovePermissionCommand({ FunctionName: name, StatementId: 'Account' })))).toMatchObject({
    name: 'ResourceNotFoundException',
    status: 404,
  });
});

it('answers a missing function as the SDK expects: ResourceNotFoundException, status 404', async () => {
  const missing = { name: 'ResourceNotFoundException', status: 404, message: `Function not found: ${functionArn}` };
  expect(await refusal(client.send(new GetFunctionCommand({ FunctionName: name })))).toEqual(missing);
  await createFunction(client);
  expect(await refusal(client.send(new GetFunctionCommand({ FunctionName: name, Qualifier: '1' })))).toEqual({
    ...missing,
    message: `Function not found: ${functionArn}:1`,
  });
  await client.send(new DeleteFunctionCommand({ FunctionName: name }));
  expect(lambda.functions()).toEqual([]);
  expect(changes.at(-1)).toMatchObject({ kind: 'function', change: 'deleted', function: { name } });
  for (const call of [
    client.send(new GetFunctionConfigurationCommand({ FunctionName: name })),
    client.send(new DeleteFunctionCommand({ FunctionName: name })),
    client.send(new ListTagsCommand({ Resource: functionArn })),
    client.send(new CreateEventSourceMappingCommand({ EventSourceArn: queueArn, FunctionName: name })),
  ]) {
    expect(await refusal(call)).toEqual(missing);
  }
});

it('speaks restJson1 on the wire: status codes, x-amzn-ErrorType and a JSON error body', async () => {
  const call = (method: string, path: string, body?: string) =>
    fetch(`${served.url}${path}`, {
      method,
      headers: { Authorization: `AWS4-HMAC-SHA256 Credential=test/20261127/${region}/lambda/aws4_request, SignedHeaders=host, Signature=0` },
      ...(body === undefined ? {} : { body }),
    });
  const missing = await call('GET', `/2015-03-31/functions/${encodeURIComponent(functionArn)}`);
  expect(missing.status).toBe(404);
  expect(missing.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
  expect(await missing.json()).toEqual({ Type: 'User', Message: `Function not found: ${functionArn}` });

  await createFunction(client);
  const deleted = await call('DELETE', `/2015-03-31/functions/${name}`);
  expect(deleted.status).toBe(204);
  expect(await deleted.text()).toBe('');
  expect((await call('GET', '/2015-03-31/functions/')).status).toBe(200);
  expect((await call('POST', '/2015-03-31/functions', '{')).headers.get('x-amzn-errortype')).toBe('SerializationException');
  expect((await call('GET', '/2015-03-31/nothing-here')).headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  expect(lambda.router.operation('PUT', `/2015-03-31/event-source-mappings/${'0'.repeat(36)}`)).toBe('UpdateEventSourceMapping');
});

it('answers the AWS CLI (botocore) in a form it parses', async () => {
  if (!(await hasAwsCli())) return;
  await createFunction(client);
  const got = JSON.parse(await awsCli(served.url, 'lambda', 'get-function', '--function-name', name)) as {
    Configuration: { FunctionArn: string; Handler: string; Environment: { Variables: Record<string, string> } };
    Tags: Record<string, string>;
  };
  expect(got.Configuration).toMatchObject({ FunctionArn: functionArn, Handler: functions.handler, Environment: { Variables: { TABLE_NAME: names.table } } });
  expect(got.Tags).toEqual({ app: 'products' });
  await expect(awsCli(served.url, 'lambda', 'get-function', '--function-name', 'Nope')).rejects.toThrow(
    /ResourceNotFoundException.*Function not found: arn:aws:lambda:us-east-1:000000000000:function:Nope/,
  );
});
