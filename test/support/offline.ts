/** Client side of the end-to-end tests: start the offline runtime and talk to it as a user would. */
import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import readline from 'node:readline';
import { names } from '#spec';
import { fastTimings, type RuntimeOptions, type Timings } from '../../local/runtime';
import { startTsChild, stopChild } from './processes';

export interface ApiCall {
  method?: string;
  path?: string;
  contentType?: string;
  body?: string;
}

export interface ApiAnswer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export class OfflineRuntime {
  readonly logs: string[] = [];
  /** What the runtime wrote to stderr: Node's warnings land here. */
  stderr = '';
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;

  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
  ) {
    const config = { region: 'us-east-1', endpoint: url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 };
    this.dynamo = new DynamoDBClient(config);
    this.sqs = new SQSClient({ ...config, useQueueUrlAsEndpoint: false });
    readline.createInterface({ input: child.stdout! }).on('line', (line) => this.logs.push(line));
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  static async start(timings: Partial<Timings> = fastTimings, environmentOverrides?: RuntimeOptions['environmentOverrides']): Promise<OfflineRuntime> {
    const { child, ready } = await startTsChild<{ url: string }>('test/support/runtime-child.ts', [JSON.stringify({ port: 0, timings, environmentOverrides })]);
    return new OfflineRuntime(ready.url, child);
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }

  /**
   * A request to the tutorial's host-style URL: sent to 127.0.0.1 with that Host header, so no
   * DNS is needed (fetch cannot set Host, node:http can).
   */
  request({ method = 'POST', path = '/dev/productApi', contentType = 'application/json', body = '' }: ApiCall): Promise<ApiAnswer> {
    const { port } = new URL(this.url);
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          headers: {
            Host: `12345.execute-api.localhost.localstack.cloud:${port}`,
            // Explicit, or node:http would send DELETE and OPTIONS bodies without framing.
            'Content-Length': String(Buffer.byteLength(body)),
            'Content-Type': contentType,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: response.headers }));
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  /** POSTs a product (an object, or a raw body) as the tutorial's curl does. */
  post(product: unknown): Promise<ApiAnswer> {
    return this.request({ body: typeof product === 'string' ? product : JSON.stringify(product) });
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    const response = await fetch(`${this.url}${path}`);
    return { status: response.status, body: await response.text() };
  }

  async chaos(method: string, path: 'faults' | 'effects', body?: unknown): Promise<{ status: number; json: unknown }> {
    const response = await fetch(`${this.url}/_localstack/chaos/${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: response.status, json: await response.json() };
  }

  async item(id: string) {
    return (await this.dynamo.send(new GetItemCommand({ TableName: names.table, Key: { id: { S: id } }, ConsistentRead: true }))).Item;
  }

  async scan() {
    return (await this.dynamo.send(new ScanCommand({ TableName: names.table }))).Items ?? [];
  }

  async queueUrl(name: string): Promise<string> {
    return (await this.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
  }

  /** Visible plus in-flight messages. */
  async depth(name: string): Promise<number> {
    const { Attributes = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: await this.queueUrl(name), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
  }
}

/** Polls `check` until it returns something truthy, or fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface SuiteRuntimeOptions {
  timings?: Partial<Timings>;
  environmentOverrides?: RuntimeOptions['environmentOverrides'];
  /**
   * After each test: 'chaos' clears every fault rule and the latency; 'chaos-and-breakers' also
   * waits until a product environment's breaker that the test opened lets calls through again, so
   * the next test finds DynamoDB used at once.
   */
  reset?: 'chaos' | 'chaos-and-breakers';
}

/**
 * One offline runtime for the suite or describe block this is called in: started before its
 * tests (and handed to `use`), stopped after them, optionally reset between them.
 */
export function runtimeForSuite(use: (runtime: OfflineRuntime) => void, options: SuiteRuntimeOptions = {}): void {
  let runtime: OfflineRuntime | undefined;
  const cooldownMs = options.timings?.breakerCooldownMs ?? fastTimings.breakerCooldownMs ?? 0;
  beforeAll(async () => {
    runtime = await OfflineRuntime.start(options.timings, options.environmentOverrides);
    use(runtime);
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
  });
  if (!options.reset) return;
  afterEach(async () => {
    await runtime?.chaos('POST', 'faults', []);
    await runtime?.chaos('POST', 'effects', { latency: 0 });
    if (options.reset === 'chaos-and-breakers') await new Promise((resolve) => setTimeout(resolve, cooldownMs + 100));
  });
}
