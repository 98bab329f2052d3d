/** The Lambda control plane served over HTTP for a test: its code store in a folder of its own, the changes it announced, and the SDK client. */
import { CreateEventSourceMappingCommand, CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { functions, localstack, names } from '#spec';
import { CodeStore } from '../../offline/services/lambda/code';
import { LambdaService } from '../../offline/services/lambda/control';
import type { LambdaChange } from '../../offline/services/lambda/model';
import { arn } from './clients';
import { serveWithClient } from './service-server';
import { storedZip } from './zips';

export const functionName = names.retryFunction;
export const functionArn = arn('lambda', `function:${functionName}`);
export const role = `arn:aws:iam::${localstack.accountId}:role/${functionName}Role`;
export const queueArn = arn('sqs', names.queue);

export const zip = storedZip('index.js', 'exports.handler = async () => "v1";\n');
export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64');

export interface ServedLambda {
  lambda: LambdaService;
  client: LambdaClient;
  url: string;
  /** Every change the service announced, in order. */
  changes: LambdaChange[];
  /** The folders of unpacked code now. */
  codeFolders(): string[];
  /** The handler file of a function's code as deployed now. */
  handlerOf(nameOrArn: string): string;
  close(): Promise<void>;
}

/** A fresh control plane, with a code store in a new temporary folder, on a free port. */
export async function serveLambda(): Promise<ServedLambda> {
  const codeDir = mkdtempSync(path.join(os.tmpdir(), 'lambda-service-'));
  const code = new CodeStore(codeDir);
  const lambda = new LambdaService(code);
  const changes: LambdaChange[] = [];
  lambda.onChange((change) => changes.push(change));
  const { client, url, close } = await serveWithClient([lambda], (config) => new LambdaClient(config));
  return {
    lambda,
    client,
    url,
    changes,
    codeFolders: () => readdirSync(codeDir).flatMap((runtime) => readdirSync(path.join(codeDir, runtime)).map((folder) => path.join(codeDir, runtime, folder))),
    handlerOf: (nameOrArn) => readFileSync(path.join(lambda.function(nameOrArn)!.codeDir, 'index.js'), 'utf8'),
    close: async () => {
      await close();
      await code.close();
      rmSync(codeDir, { recursive: true, force: true });
    },
  };
}

export const createFunction = (client: LambdaClient) =>
  client.send(
    new CreateFunctionCommand({
      FunctionName: functionName,
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

export const createMapping = (client: LambdaClient) =>
  client.send(
    new CreateEventSourceMappingCommand({
      EventSourceArn: queueArn,
      FunctionName: functionArn,
      BatchSize: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    }),
  );
