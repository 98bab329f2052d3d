/** Client side of the end-to-end tests: start the offline runtime and talk to it as a user would. */
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { names, offline } from '#spec';
import { fastTimings, type RuntimeOptions, type Timings } from '../../offline/runtime/compose';
import type { AppClient } from '../../shared/app-client/app-client';
import { type ApiAnswer, type ApiCall, type ChaosAnswer, chaos, postProduct, request, resetChaos, targetAt } from './clients';
import { receivesBlocked } from './faults';
import { startTsChild, stopChild } from './processes';
import { scaled } from './time-scale';

export type { ApiAnswer, ApiCall } from './clients';

export interface StartOptions {
  timings?: Partial<Timings>;
  environmentOverrides?: RuntimeOptions['environmentOverrides'];
  /** The runtime process's environment (this process's by default). */
  env?: NodeJS.ProcessEnv;
  /** Start with no resources (`npm start -- --empty`), for a deploy into it. */
  empty?: boolean;
  /** The port to listen on; a free one by default. */
  port?: number;
}

export class OfflineRuntime {
  readonly logs: string[] = [];
  /** What the runtime wrote to stderr: Node's warnings land here. */
  stderr = '';
  readonly port: number;
  /** The tooling's view of the runtime: SDK clients (one attempt a call) and the queue depth. */
  readonly target: AppClient;
  readonly dynamo: AppClient['dynamo'];
  readonly sqs: AppClient['sqs'];

  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    readonly timings: Partial<Timings>,
    /** The emulators' own loopback ports, which answer only the edge. */
    readonly emulatorPorts: number[],
  ) {
    this.port = Number(new URL(url).port);
    this.target = targetAt(url);
    this.dynamo = this.target.dynamo;
    this.sqs = this.target.sqs;
    readline.createInterface({ input: child.stdout! }).on('line', (line) => this.logs.push(line));
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  static async start({ timings = fastTimings, environmentOverrides, env, empty, port = 0 }: StartOptions = {}): Promise<OfflineRuntime> {
    const { child, ready } = await startTsChild<{ url: string; emulatorPorts: number[] }>(
      'test/support/runtime-child.ts',
      [JSON.stringify({ port, timings, environmentOverrides, empty })],
      env,
    );
    return new OfflineRuntime(ready.url, child, timings, ready.emulatorPorts);
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }

  /** A request to the tutorial's host-style URL (see clients.ts). */
  request(call: ApiCall): Promise<ApiAnswer> {
    return request(this.url, call);
  }

  /** POSTs a product (an object, or a raw body) as the tutorial's curl does. */
  post(product: unknown): Promise<ApiAnswer> {
    return postProduct(this.url, product);
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    const response = await fetch(`${this.url}${path}`);
    return { status: response.status, body: await response.text() };
  }

  /** One Chaos API call, sent as given, with its status and JSON (see clients.ts). */
  chaos(method: string, path: 'faults' | 'effects', body?: unknown): Promise<ChaosAnswer> {
    return chaos(this.url, method, path, body);
  }

  /** Ends every fault rule and the latency. */
  resetChaos(): Promise<void> {
    return resetChaos(this.url);
  }

  /**
   * Replaces the fault rules with `others` plus one that stops every receive, holding queued
   * writes in the queue. Faults apply to calls that arrive after them, so this waits out the
   * pollers' long polls already in flight.
   */
  async blockReceives(...others: unknown[]): Promise<void> {
    await this.chaos('POST', 'faults', [...others, receivesBlocked]);
    await pause((this.timings.pollWaitSeconds ?? offline.pollWaitSeconds) * 1_000 + 500);
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

  /** Messages in a queue: visible, in flight and delayed (the tooling's count). */
  depth(name: string): Promise<number> {
    return this.target.queueDepth(name);
  }

  /** Whether the queue holds nothing: no message visible, in flight or delayed. */
  async drained(name: string = names.queue): Promise<boolean> {
    return (await this.depth(name)) === 0;
  }

  /**
   * Resolves once nothing can write any more: no invocation running, no SNS delivery held back and
   * nothing in the queue. What is not in the table by then never will be.
   */
  async settled(): Promise<void> {
    await eventually('no invocation running, no delivery held and nothing queued', async () => {
      const health = JSON.parse((await this.get('/_localstack/health')).body) as { functions: Record<string, { running: number }>; pendingDeliveries: number };
      return Object.values(health.functions).every((fn) => fn.running === 0) && health.pendingDeliveries === 0 && (await this.drained());
    });
  }
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns something truthy, or fails with `what` after `timeoutMs` (scaled: time-scale.ts). */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const limitMs = scaled(timeoutMs);
  const until = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`Timed out after ${limitMs} ms waiting for ${what}`);
    await pause(100);
  }
}

export interface SuiteRuntimeOptions extends StartOptions {
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
    runtime = await OfflineRuntime.start(options);
    use(runtime);
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
  });
  if (!options.reset) return;
  afterEach(async () => {
    await runtime?.resetChaos();
    if (options.reset === 'chaos-and-breakers') await pause(cooldownMs + 100);
  });
}
