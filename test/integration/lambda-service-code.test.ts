/** A Lambda function's code in the control plane: unpacked once per zip while a function uses it, refused when it cannot be unpacked, cleaned up after a killed runtime. */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateFunctionCommand, DeleteFunctionCommand, LambdaClient, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { functions } from '#spec';
import { CodeStore } from '../../offline/services/lambda/code';
import type { LambdaService } from '../../offline/services/lambda/control';
import type { LambdaChange } from '../../offline/services/lambda/model';
import { createFunction, functionName as name, role, serveLambda, type ServedLambda, sha256, zip } from '../support/lambda-service';
import { eventually } from '../support/offline';
import { refusal } from '../support/sdk-calls';
import { declaringSize, zipOf } from '../support/zips';

let served: ServedLambda;
let lambda: LambdaService;
let client: LambdaClient;
let changes: LambdaChange[];
let codeFolders: ServedLambda['codeFolders'];
let handlerOf: ServedLambda['handlerOf'];

beforeEach(async () => {
  served = await serveLambda();
  ({ lambda, client, changes, codeFolders, handlerOf } = served);
});

afterEach(() => served.close());

it('keeps a folder per code while a function uses it: shared by the same zip, let go by an update and by the last DeleteFunction', async () => {
  await createFunction(client);
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
  await createFunction(client);
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
