/** The Lambda control plane as the real SDK client and the AWS CLI see it over HTTP, and the inventory the runtime reads. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import {
  AddPermissionCommand,
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  GetEventSourceMappingCommand,
  GetFunctionCodeSigningConfigCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ListFunctionsCommand,
  ListTagsCommand,
  ListVersionsByFunctionCommand,
  PutFunctionConcurrencyCommand,
  RemovePermissionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { functions, localstack, names, region } from '#spec';
import { CodeStore } from '../../offline/services/lambda/code';
import { LambdaService } from '../../offline/services/lambda/control';
import type { LambdaChange } from '../../offline/services/lambda/model';
import { arn, awsCli, hasAwsCli, sdkConfig } from '../support/clients';
import { serveServices, type ServiceServer } from '../support/service-server';
import { eventually } from '../support/offline';
import { refusal } from '../support/sdk-calls';
import { declaringSize, zipOf } from '../support/zips';

const name = names.retryFunction;
const functionArn = arn('lambda', `function:${name}`);
const role = `arn:aws:iam::${localstack.accountId}:role/${name}Role`;
const queueArn = arn('sqs', names.queue);

/** A zip holding one stored (uncompressed) file, written out byte by byte. */
function storedZip(file: string, text: string): Buffer {
  const data = Buffer.from(text);
  const fileName = Buffer.from(file);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  const centralOffset = local.length + fileName.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
}

const zip = storedZip('index.js', 'exports.handler = async () => "v1";\n');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64');

let codeDir: string;
beforeAll(() => (codeDir = mkdtempSync(path.join(os.tmpdir(), 'lambda-service-'))));
afterAll(() => rmSync(codeDir, { recursive: true, force: true }));

let server: ServiceServer;
let code: CodeStore;
let lambda: LambdaService;
let client: LambdaClient;
let changes: LambdaChange[];

beforeEach(async () => {
  code = new CodeStore(codeDir);
  lambda = new LambdaService(code);
  changes = [];
  lambda.onChange((change) => changes.push(change));
  server = await serveServices([lambda]);
  client = new LambdaClient(sdkConfig(server.url));
});

afterEach(async () => {
  client.destroy();
  await server.close();
  await code.close();
});

/** The folders of unpacked code now. */
const codeFolders = () =>
  readdirSync(codeDir).flatMap((runtime) => readdirSync(path.join(codeDir, runtime)).map((folder) => path.join(codeDir, runtime, folder)));
const handlerOf = (nameOrArn: string) => readFileSync(path.join(lambda.function(nameOrArn)!.codeDir, 'index.js'), 'utf8');

const createFunction = () =>
  client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Role: role,
      Runtime: functions.runtime,
      Handler: functions.handler,
      Code: { ZipFile: zip },
      Timeout: 20,
      MemorySize: functions.memoryMb,
      Environment: { Variables: { TABLE_NAME: names.table } },
      Tags: { app: 'products' },
    }),
  );

const createMapping = () =>
  client.send(
    new CreateEventSourceMappingCommand({
      EventSourceArn: queueArn,
      FunctionName: functionArn,
      BatchSize: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    }),
  );

it('creates a function from a zip and describes it with the fields the Terraform provider reads', async () => {
  const created = await createFunction();
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

  expect(await refusal(createFunction())).toEqual({ name: 'ResourceConflictException', status: 409, message: `Function already exist: ${name}` });
});

it('updates code and configuration; the inventory and the listeners see each change', async () => {
  const created = await createFunction();
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

it('keeps a folder per code while a function uses it: shared by the same zip, let go by an update and by the last DeleteFunction', async () => {
  await createFunction();
  await client.send(
    new CreateFunctionCommand({ FunctionName: 'Twin', Role: role, Runtime: functions.runtime, Handler: functions.handler, Code: { ZipFile: zip } }),
  );
  expect(codeFolders()).toEqual([lambda.function(name)!.codeDir]);
  expect(lambda.function('Twin')!.codeDir).toBe(lambda.function(name)!.codeDir);

  const v2 = zipOf({ 'index.js': 'exports.handler = async () => "v2";' });
  await client.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: v2 }));
  const v3 = zipOf({ 'index.js': 'exports.handler = async () => "v3";' });
  // A dry run checks the zip, and keeps none of it.
  expect((await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'Twin', ZipFile: v3, DryRun: true }))).CodeSha256).toBe(sha256(v3));
  const both = [lambda.function(name)!.codeDir, lambda.function('Twin')!.codeDir].sort();
  await eventually('the dry run’s code to go', async () => codeFolders().sort().join() === both.join());

  await client.send(new DeleteFunctionCommand({ FunctionName: 'Twin' }));
  await eventually('the deleted function’s code to go', async () => codeFolders().join() === lambda.function(name)!.codeDir);
  await client.send(new DeleteFunctionCommand({ FunctionName: name }));
  await eventually('the last code to go', async () => codeFolders().length === 0);
});

it("refuses a zip it cannot unpack with AWS's error, and keeps the function's code", async () => {
  await createFunction();
  const stored = zipOf({ 'index.js': 'exports.handler = async () => "stored";' }, { level: 0 });
  const damaged = Buffer.from(stored);
  // The first byte of the stored content: its CRC no longer matches.
  const content = 30 + 'index.js'.length;
  damaged.writeUInt8(damaged.readUInt8(content) ^ 0xff, content);
  const deflated = zipOf({ 'index.js': 'x'.repeat(1000) });
  const garbled = Buffer.from(deflated);
  garbled.fill(0xff, content, content + 10);
  const unreadable = 'Could not unzip uploaded file. Please check your file, then try to upload again.';
  for (const [zipFile, message] of [
    [Buffer.from('not a zip at all'), unreadable],
    [damaged, unreadable],
    [garbled, unreadable],
    [zipOf({ lib: 'a file', 'lib/index.js': 'and a folder' }), unreadable],
    [declaringSize(zipOf({ 'index.js': 'big' }), 262_144_000), 'Unzipped size must be smaller than 262144000 bytes'],
  ] as const) {
    expect(await refusal(client.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zipFile })))).toEqual({
      name: 'InvalidParameterValueException',
      status: 400,
      message,
    });
  }
  expect(handlerOf(name)).toBe('exports.handler = async () => "v1";\n');
  expect(changes.map((change) => change.kind === 'function' && change.change)).toEqual(['created']);
  expect(codeFolders()).toEqual([lambda.function(name)!.codeDir]);
});

it('removes the code folders a killed runtime left behind, and only those', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lambda-code-left-'));
  try {
    // No process has a pid this large; this one is alive.
    const left = ['runtime-999999999-0123abcd', `runtime-${process.pid}-0123abcd`, 'not-a-runtime'];
    for (const name of left) mkdirSync(path.join(dir, name, 'code'), { recursive: true });
    await new CodeStore(dir).close();
    expect(readdirSync(dir).sort()).toEqual(left.slice(1).sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('sets and removes the reserved concurrency', async () => {
  await createFunction();
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
  await createFunction();
  const sourceArn = `arn:aws:execute-api:${region}:${localstack.accountId}:${names.restApiId}/*/*/${names.resource}`;
  const permission = {
    FunctionName: name,
    StatementId: 'AllowProductApiInvoke',
    Action: 'lambda:InvokeFunction',
    Principal: 'apigateway.amazonaws.com',
    SourceArn: sourceArn,
  };
  const added = await client.send(new AddPermissionCommand(permission));
  const statement = {
    Sid: 'AllowProductApiInvoke',
    Effect: 'Allow',
    Principal: { Service: 'apigateway.amazonaws.com' },
    Action: 'lambda:InvokeFunction',
    Resource: functionArn,
    Condition: { ArnLike: { 'AWS:SourceArn': sourceArn } },
  };
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

it('maps a queue to a function; disabling the mapping shows in its state and in the inventory', async () => {
  await createFunction();
  const created = await createMapping();
  expect(created).toMatchObject({
    $metadata: { httpStatusCode: 202 },
    UUID: expect.any(String),
    State: 'Creating',
    EventSourceArn: queueArn,
    FunctionArn: functionArn,
    BatchSize: 5,
    MaximumBatchingWindowInSeconds: 0,
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    ScalingConfig: { MaximumConcurrency: 2 },
    EventSourceMappingArn: arn('lambda', `event-source-mapping:${created.UUID}`),
  });
  const uuid = created.UUID!;
  const get = () => client.send(new GetEventSourceMappingCommand({ UUID: uuid }));
  expect(await get()).toMatchObject({ State: 'Enabled', StateTransitionReason: 'USER_INITIATED', LastModified: expect.any(Date) });
  expect(lambda.mapping(uuid)).toMatchObject({ eventSourceArn: queueArn, functionArn, batchSize: 5, maximumConcurrency: 2, enabled: true });

  expect((await client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }))).State).toBe('Disabling');
  expect(await get()).toMatchObject({ State: 'Disabled', BatchSize: 5, ScalingConfig: { MaximumConcurrency: 2 } });
  expect(lambda.mapping(uuid)!.enabled).toBe(false);
  expect((await client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true, BatchSize: 10 }))).State).toBe('Enabling');
  expect(lambda.mappings()).toEqual([expect.objectContaining({ uuid, enabled: true, batchSize: 10 })]);
  expect(changes.filter((change) => change.kind === 'mapping').map((change) => change.kind === 'mapping' && change.mapping.enabled)).toEqual([
    true,
    false,
    true,
  ]);

  const listed = await client.send(new ListEventSourceMappingsCommand({ FunctionName: name }));
  expect(listed.EventSourceMappings!.map((mapping) => mapping.UUID)).toEqual([uuid]);
  expect((await client.send(new ListEventSourceMappingsCommand({ EventSourceArn: `${queueArn}-other` }))).EventSourceMappings).toEqual([]);

  expect(await refusal(createMapping())).toMatchObject({ name: 'ResourceConflictException', status: 409 });
  const unbatched = await refusal(client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 20 })));
  expect(unbatched).toMatchObject({ name: 'InvalidParameterValueException', status: 400 });

  expect((await client.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))).State).toBe('Deleting');
  expect(await refusal(get())).toEqual({ name: 'ResourceNotFoundException', status: 404, message: 'The resource you requested does not exist.' });
  expect(lambda.mappings()).toEqual([]);
});

it('tags functions and mappings by ARN', async () => {
  await createFunction();
  const mappingArn = (await createMapping()).EventSourceMappingArn!;
  for (const Resource of [functionArn, mappingArn]) {
    await client.send(new TagResourceCommand({ Resource, Tags: { team: 'a', env: 'dev' } }));
    await client.send(new UntagResourceCommand({ Resource, TagKeys: ['team', 'app'] }));
    expect((await client.send(new ListTagsCommand({ Resource }))).Tags).toEqual({ env: 'dev' });
  }
});

it('answers a missing function as the SDK expects: ResourceNotFoundException, status 404', async () => {
  const missing = { name: 'ResourceNotFoundException', status: 404, message: `Function not found: ${functionArn}` };
  expect(await refusal(client.send(new GetFunctionCommand({ FunctionName: name })))).toEqual(missing);
  await createFunction();
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
    fetch(`${server.url}${path}`, {
      method,
      headers: { Authorization: `AWS4-HMAC-SHA256 Credential=test/20261127/${region}/lambda/aws4_request, SignedHeaders=host, Signature=0` },
      ...(body === undefined ? {} : { body }),
    });
  const missing = await call('GET', `/2015-03-31/functions/${encodeURIComponent(functionArn)}`);
  expect(missing.status).toBe(404);
  expect(missing.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
  expect(await missing.json()).toEqual({ Type: 'User', Message: `Function not found: ${functionArn}` });

  await createFunction();
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
  await createFunction();
  const got = JSON.parse(await awsCli(server.url, 'lambda', 'get-function', '--function-name', name)) as {
    Configuration: { FunctionArn: string; Handler: string; Environment: { Variables: Record<string, string> } };
    Tags: Record<string, string>;
  };
  expect(got.Configuration).toMatchObject({ FunctionArn: functionArn, Handler: functions.handler, Environment: { Variables: { TABLE_NAME: names.table } } });
  expect(got.Tags).toEqual({ app: 'products' });
  await expect(awsCli(server.url, 'lambda', 'get-function', '--function-name', 'Nope')).rejects.toThrow(
    /ResourceNotFoundException.*Function not found: arn:aws:lambda:us-east-1:000000000000:function:Nope/,
  );
});
