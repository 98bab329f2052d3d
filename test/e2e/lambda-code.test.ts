/**
 * A function's code as the runtime keeps it, driven with the real SDK: checked when it is
 * uploaded, with AWS's errors for a zip too large (zipped or unzipped) and a refusal naming an
 * entry that would be unpacked outside its folder; unpacked once; deleted once no function uses
 * it, but never from under an invocation still running it.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateFunctionCommand, DeleteFunctionCommand, LambdaClient, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { awsLimits, functions, localstack, names } from '#spec';
import { DIST_DIR } from '../../shared/paths';
import { postProduct, sdkConfig } from '../support/clients';
import { eventually, type OfflineRuntime, runtimeForSuite } from '../support/offline';
import { refusal } from '../support/sdk-calls';
import { declaringSize, symlink, zipOf } from '../support/zips';

let runtime: OfflineRuntime;
runtimeForSuite((started) => (runtime = started));

let lambda: LambdaClient;
beforeAll(() => (lambda = new LambdaClient(sdkConfig(runtime.url))));
afterAll(() => lambda.destroy());

/** In every index.js of this suite, so its folders are told from those of the runtimes of other suites. */
const marker = randomUUID();
const codeRoot = path.join(DIST_DIR, 'offline', 'functions');

/** The folders of unpacked code holding an index.js of this suite's with `label` (each test has its own). */
function codeFolders(label: string): string[] {
  const list = (dir: string) => {
    try {
      return readdirSync(dir).map((name) => path.join(dir, name));
    } catch {
      // Another runtime deleted it meanwhile.
      return [];
    }
  };
  return list(codeRoot)
    .flatMap(list)
    .filter((dir) => {
      try {
        return readFileSync(path.join(dir, 'index.js'), 'utf8').includes(`${marker} ${label}`);
      } catch {
        return false;
      }
    });
}

const handler = (label: string, body = label) => `// ${marker} ${label}\nexports.handler = async () => ({ statusCode: 200, body: ${JSON.stringify(body)} });\n`;

const create = (name: string, zip: Buffer) =>
  lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Role: `arn:aws:iam::${localstack.accountId}:role/${names.productFunction}Role`,
      Runtime: functions.runtime,
      Handler: functions.handler,
      Code: { ZipFile: zip },
    }),
  );

const invalid = (message: string) => ({ name: 'InvalidParameterValueException', status: 400, message });

it("refuses a zip declaring more than 250 MB unzipped with AWS's error, having inflated nothing", async () => {
  const bomb = declaringSize(zipOf({ 'index.js': handler('bomb') }), 300_000_000);
  expect(await refusal(create('DeclaredBomb', bomb))).toEqual(invalid(`Unzipped size must be smaller than ${awsLimits.lambdaUnzippedLimitBytes} bytes`));
  expect(codeFolders('bomb')).toEqual([]);
});

it('refuses a zip whose entry inflates past the size it declares, and keeps nothing of it', async () => {
  // 16 MB of zeros deflate to about 16 KB; the central directory says 100 bytes.
  const bomb = declaringSize(zipOf({ 'index.js': handler('bomb'), 'zeros.bin': new Uint8Array(16 * 1024 * 1024) }, { level: 9 }), 100);
  expect(await refusal(create('LyingBomb', bomb))).toEqual(invalid('Could not unzip uploaded file. Please check your file, then try to upload again.'));
  expect(codeFolders('bomb')).toEqual([]);
});

it.each([
  ['a .. segment', '../escape.js'],
  ['a .. segment deeper', 'lib/../../escape.js'],
  ['a backslash .. segment', '..\\escape.js'],
  ['an absolute path', '/tmp/escape.js'],
])('refuses an entry with %s, naming it', async (_case, name) => {
  const zip = zipOf({ 'index.js': handler('escape'), [name]: 'module.exports = 1;' });
  expect(await refusal(create('Escape', zip))).toEqual(
    invalid(`The zip entry ${JSON.stringify(name)} would be unpacked outside the function's folder (an absolute path or a .. segment)`),
  );
  expect(codeFolders('escape')).toEqual([]);
});

it('refuses a symbolic link entry, naming it', async () => {
  const zip = zipOf({ 'index.js': handler('link'), 'passwd.txt': symlink('/etc/passwd') });
  expect(await refusal(create('Link', zip))).toEqual(
    invalid('The zip entry "passwd.txt" is a symbolic link: the offline runtime unpacks files and folders only'),
  );
  expect(codeFolders('link')).toEqual([]);
});

it('takes a 20 MB zip, beyond the API Gateway limit, and refuses a request past Lambda’s 50 MB with RequestEntityTooLargeException', async () => {
  const big = zipOf({ 'index.js': handler('big'), 'blob.bin': [new Uint8Array(20 * 1024 * 1024), { level: 0 }] });
  expect((await create('Big', big)).CodeSize).toBe(big.length);
  expect(codeFolders('big')).toHaveLength(1);
  const tooBig = Buffer.alloc(52 * 1024 * 1024 + 1024);
  expect(await refusal(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'Big', ZipFile: tooBig })))).toEqual({
    name: 'RequestEntityTooLargeException',
    status: 413,
    message: `Request must be smaller than ${awsLimits.lambdaRequestLimitBytes} bytes for the UpdateFunctionCode operation`,
  });
  await lambda.send(new DeleteFunctionCommand({ FunctionName: 'Big' }));
  await eventually('the deleted function’s code to go', async () => codeFolders('big').length === 0);
});

describe('the product function’s code folder', () => {
  const product = names.productFunction;
  const update = (files: Record<string, string>) => lambda.send(new UpdateFunctionCodeCommand({ FunctionName: product, ZipFile: zipOf(files) }));
  const signal = path.join(os.tmpdir(), `lambda-code-${marker}`);
  afterAll(() => rmSync(signal, { force: true }));

  it('stays in place under an invocation still running it when the code is replaced', async () => {
    // Reads a file of its code only once the test says so, after the update has taken effect.
    const slow = `// ${marker} slow
      const fs = require('node:fs');
      exports.handler = async () => {
        console.log('slow invocation started ${marker}');
        while (!fs.existsSync(${JSON.stringify(signal)})) await new Promise((resolve) => setTimeout(resolve, 20));
        return { statusCode: 200, body: fs.readFileSync(__dirname + '/data.txt', 'utf8') };
      };`;
    await update({ 'index.js': slow, 'data.txt': 'old code' });
    const running = postProduct(runtime.url, {});
    await eventually('the slow invocation to start', async () => runtime.logs.some((line) => line.includes(`slow invocation started ${marker}`)));
    await update({ 'index.js': handler('fast', 'new code') });
    expect((await postProduct(runtime.url, {})).body).toBe('new code');
    writeFileSync(signal, '');
    expect(await running).toMatchObject({ status: 200, body: 'old code' });
    await eventually('the replaced code to go once its invocation ended', async () => codeFolders('slow').length === 0);
    expect(codeFolders('fast')).toHaveLength(1);
  });

  it('is one folder after ten updates, each invoked, and none after DeleteFunction', async () => {
    for (let version = 1; version <= 10; version += 1) {
      await update({ 'index.js': handler('versions', `v${version}`) });
      expect((await postProduct(runtime.url, {})).body).toBe(`v${version}`);
    }
    await eventually('the replaced versions’ code to go', async () => codeFolders('versions').length === 1);
    const [folder] = codeFolders('versions');
    await lambda.send(new DeleteFunctionCommand({ FunctionName: product }));
    await eventually('the deleted function’s code to go', async () => !existsSync(folder!));
    expect(codeFolders('versions')).toEqual([]);
  });
});
