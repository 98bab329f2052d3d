/**
 * Runs a function the way Lambda does: each execution environment is a worker thread with the
 * function's environment and its own module state; one invocation at a time per environment;
 * new environments (cold starts) up to the concurrency limit; an invocation that outlives its
 * timeout fails and its environment is thrown away.
 */
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import readline from 'node:readline';

export interface FunctionSettings {
  name: string;
  /** The bundled handler (dist/<function>/index.js). */
  bundle: string;
  /** The bundled worker harness (lambda-worker.ts). */
  harness: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  region: string;
  maxConcurrency: number;
  log: (line: string) => void;
}

export type InvokeResult = { ok: true; result: unknown; requestId: string } | { ok: false; errorType: string; errorMessage: string; requestId: string };

interface Environment {
  worker: Worker;
  busy: boolean;
  pending?: { id: number; settle: (result: InvokeResult) => void; requestId: string };
}

export class LocalFunction {
  private readonly environments = new Set<Environment>();
  private readonly waiting: Array<() => void> = [];
  private nextId = 0;
  private stopped = false;

  constructor(private readonly settings: FunctionSettings) {}

  async invoke(event: unknown): Promise<InvokeResult> {
    const environment = await this.acquire();
    const requestId = randomUUID();
    const { timeoutSeconds } = this.settings;
    const started = Date.now();
    this.settings.log(`START RequestId: ${requestId}`);
    const result = await new Promise<InvokeResult>((settle) => {
      const id = (this.nextId += 1);
      environment.pending = { id, settle, requestId };
      const timer = setTimeout(() => {
        // Lambda stops the sandbox of a timed-out invocation; the next one starts cold.
        this.discard(environment);
        settle({ ok: false, errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`, requestId });
      }, timeoutSeconds * 1000);
      const clear = (outcome: InvokeResult) => {
        clearTimeout(timer);
        settle(outcome);
      };
      environment.pending.settle = clear;
      environment.worker.postMessage({ id, event, requestId, deadline: started + timeoutSeconds * 1000 });
    });
    this.settings.log(`END RequestId: ${requestId} Duration: ${Date.now() - started} ms${result.ok ? '' : ` Error: ${result.errorMessage}`}`);
    this.release(environment);
    return result;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.environments].map((environment) => environment.worker.terminate()));
    this.environments.clear();
  }

  private async acquire(): Promise<Environment> {
    for (;;) {
      if (this.stopped) throw new Error(`${this.settings.name} is stopped`);
      const idle = [...this.environments].find((environment) => !environment.busy);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (this.environments.size < this.settings.maxConcurrency) {
        const created = this.create();
        created.busy = true;
        return created;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(environment: Environment): void {
    environment.busy = false;
    environment.pending = undefined;
    this.waiting.shift()?.();
  }

  private discard(environment: Environment): void {
    this.environments.delete(environment);
    void environment.worker.terminate();
  }

  private create(): Environment {
    const { name, bundle, harness, environment: variables, memoryMb, region, log } = this.settings;
    const worker = new Worker(harness, {
      workerData: { bundle, functionName: name, memoryMb, region },
      // What Lambda sets in every environment. AWS_LAMBDA_INITIALIZATION_TYPE=on-demand is how
      // Powertools knows it runs in Lambda: its Logger then reports cold_start true on the first
      // invocation of each environment (without it, always false).
      env: {
        ...variables,
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_LAMBDA_FUNCTION_NAME: name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
        AWS_LAMBDA_LOG_STREAM_NAME: 'offline',
      },
      stdout: true,
      stderr: true,
    });
    const environment: Environment = { worker, busy: false };
    for (const stream of [worker.stdout, worker.stderr]) {
      readline.createInterface({ input: stream }).on('line', log);
    }
    worker.on('message', (message: { id: number; result?: unknown; error?: { errorType: string; errorMessage: string } }) => {
      const pending = environment.pending;
      if (!pending || pending.id !== message.id) return;
      pending.settle(message.error ? { ok: false, ...message.error, requestId: pending.requestId } : { ok: true, result: message.result, requestId: pending.requestId });
    });
    worker.on('error', (error) => {
      // An init error or an uncaught exception ends the environment, failing what it was running.
      log(`Environment failed: ${error.message}`);
      this.environments.delete(environment);
      environment.pending?.settle({ ok: false, errorType: 'Runtime.Error', errorMessage: error.message, requestId: environment.pending.requestId });
    });
    this.environments.add(environment);
    return environment;
  }
}
