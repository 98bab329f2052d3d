/**
 * The end-to-end tests' clients of a running target, by its URL: the product API as the
 * tutorial's curl calls it, the Chaos API answer by answer (a test checks the refusals too, so
 * nothing is checked before it is sent), the AWS CLI, and the names LocalStack gives resources.
 * The SDK clients, the queue depth and the Chaos API reset are the tooling's own (shared/app-client, chaos/api).
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { promisify } from 'node:util';
import { localstack, names, region } from '#spec';
import { ChaosClient } from '../../chaos/api/chaos-client';
import { AppClient } from '../../shared/app-client/app-client';

/** SDK clients for the target at `url`, one attempt per call (a test sees every fault). */
export const targetAt = (url: string) => new AppClient(url, { maxAttempts: 1 });

/** What an SDK client needs to reach the target at `url` as LocalStack's test user. */
export const sdkConfig = (url: string) => ({
  region,
  endpoint: url,
  credentials: { accessKeyId: localstack.accessKey, secretAccessKey: localstack.secretKey },
  maxAttempts: 1,
});

/** An ARN in LocalStack's region and account. */
export const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${localstack.accountId}:${resource}`;

/** The queue URL LocalStack hands out for `name` on the target at `url` (its host-style form). */
export const queueUrlAt = (url: string, name: string) =>
  `${url.replace('127.0.0.1', `sqs.${region}.localhost.localstack.cloud`)}/${localstack.accountId}/${name}`;

/** The product API's path under the tutorial's host-style URL, and on the edge (path style, as AppClient.apiUrl). */
export const apiPath = `/${names.stage}/${names.resource}`;
export const edgeApiPath = `/_aws/execute-api/${names.restApiId}${apiPath}`;

export interface ApiCall {
  method?: string;
  path?: string;
  /** null sends no Content-Type header. */
  contentType?: string | null;
  /** A Buffer is sent byte for byte (bytes that are not UTF-8, say). */
  body?: string | Buffer;
}

export interface ApiAnswer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  /** From sending the request to the end of the answer. */
  ms: number;
}

/**
 * A request to the tutorial's host-style URL on the target at `url`: sent to 127.0.0.1 with that
 * Host header, so no DNS is needed (fetch cannot set Host, node:http can).
 */
export function request(url: string, { method = 'POST', path = apiPath, contentType = 'application/json', body = '' }: ApiCall): Promise<ApiAnswer> {
  const { port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const sent = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        // No pooled connection: a request must not land on one a stopping runtime is closing.
        agent: false,
        headers: {
          Host: `${names.restApiId}.execute-api.localhost.localstack.cloud:${port}`,
          // Explicit, or node:http would send DELETE and OPTIONS bodies without framing.
          'Content-Length': String(Buffer.byteLength(body)),
          ...(contentType === null ? {} : { 'Content-Type': contentType }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: response.headers, ms: Date.now() - started }),
        );
        response.on('error', reject);
      },
    );
    sent.on('error', reject);
    sent.end(body);
  });
}

/** POSTs a product (an object, or a raw body) to the target at `url`, as the tutorial's curl does. */
export const postProduct = (url: string, product: unknown): Promise<ApiAnswer> =>
  request(url, { body: typeof product === 'string' ? product : JSON.stringify(product) });

export interface ChaosAnswer {
  status: number;
  json: unknown;
}

/**
 * One call to the Chaos API of the target at `url`, sent as given (a string body as it is) and
 * answered with its status and JSON, refusals included. The tooling's ChaosClient checks rules
 * before it sends them; the tests send what LocalStack would refuse on purpose.
 */
export async function chaos(url: string, method: string, path: 'faults' | 'effects', body?: unknown): Promise<ChaosAnswer> {
  const response = await fetch(`${url}/_localstack/chaos/${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json() };
}

/** Ends every fault rule and the latency, as the tooling does. */
export async function resetChaos(url: string): Promise<void> {
  const client = new ChaosClient(url);
  await client.setFaults([]);
  await client.setLatency(0);
}

const run = promisify(execFile);

/** The environment of the AWS CLI as LocalStack's test user, in its region. */
export const awsCliEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  AWS_ACCESS_KEY_ID: localstack.accessKey,
  AWS_SECRET_ACCESS_KEY: localstack.secretKey,
  AWS_DEFAULT_REGION: region,
  AWS_PAGER: '',
});

/** Whether the real AWS CLI is on PATH (the checks that use it are skipped without it). */
export async function hasAwsCli(): Promise<boolean> {
  try {
    await run('aws', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** The real AWS CLI against the target at `url`; its stdout. */
export async function awsCli(url: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('aws', ['--endpoint-url', url, ...args], { env: awsCliEnv(), maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}
