/**
 * Runs a function the way Lambda does: each execution environment is a worker thread with the
 * function's environment and its own module state; one invocation at a time per environment;
 * new environments (cold starts) up to the concurrency limit; an invocation that outlives its
 * timeout fails and its environment is thrown away.
 *
 * Beyond the concurrency limit an invocation is throttled at once, as Lambda throttles a
 * function at its reserved concurrency: `429 TooManyRequestsException` ("Rate Exceeded."), the
 * handler never runs. Nothing waits in a queue for an environment to free up.
 *
 * An invocation may carry an injected fault (the Chaos API's Lambda faults, offline only): a
 * startup delay inside the invocation's time, as AWS FIS's aws:lambda:invocation-add-delay adds
 * it (a delay past the timeout times the invocation out), and an error as
 * aws:lambda:invocation-error returns it, with or without running the handler.
 */
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import readline from 'node:readline';
import { offline } from '#spec';
import type { InvocationFault } from '../../chaos/chaos';

export interface FunctionSettings {
  name: string;
  /** The handler's file (dist/<function>/index.js, or the file of the deployed handler setting). */
  bundle: string;
  /** The export of `bundle` that handles events (`handler` for `index.handler`). */
  exportName: string;
  /** The bundled worker harness (services/lambda/worker.ts). */
  harness: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  region: string;
  maxConcurrency: number;
  log: (line: string) => void;
}

export type InvokeResult = { ok: true; result: unknown; requestId: string } | { ok: false; errorType: string; errorMessage: string; requestId: string };

/** What the Lambda Invoke API answers when a function is at its concurrency limit (HTTP 429). */
export const THROTTLED = {
  errorType: 'TooManyRequestsException',
  errorMessage: 'Rate Exceeded.',
  reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
} as const;
/** What Invoke answers for a function that does not exist (HTTP 404). */
export const FUNCTION_NOT_FOUND = 'ResourceNotFoundException';
/** What an invocation gets once the function is stopping (the runtime is shutting down): it never runs. */
export const STOPPING_ERROR = 'Runtime.Stopping';

/** What an invocation failed by an injected aws:lambda:invocation-error answers. */
export const INJECTED_ERROR = {
  errorType: 'InjectedFault',
  errorMessage: 'Invocation failed by an injected fault (aws:lambda:invocation-error)',
} as const;

export const isThrottled = (result: InvokeResult): boolean => !result.ok && result.errorType === THROTTLED.errorType;

/**
 * An environment's V8 heap: the old generation is the function's memory less a tenth, as Lambda's
 * Node.js runtime sets --max-old-space-size, so a function that outgrows its MemorySize fails as on
 * AWS instead of growing the runtime; the young generation is small (see offline in the spec).
 */
const heapLimits = (memoryMb: number) => ({
  maxOldGenerationSizeMb: memoryMb - Math.floor(memoryMb / 10),
  maxYoungGenerationSizeMb: offline.lambdaYoungGenerationMb,
});

interface Environment {
  worker: Worker;
  busy: boolean;
  pending?: { id: number; settle: (result: InvokeResult) => void; requestId: string };
}

export class LocalFunction {
  private readonly environments = new Set<Environment>();
  private readonly idleWaiters = new Set<() => void>();
  private nextId = 0;
  private stopping = false;
  private throttleCount = 0;

  constructor(private readonly settings: FunctionSettings) {}

  get name(): string {
    return this.settings.name;
  }

  /** Invocations running now (at most maxConcurrency). */
  get running(): number {
    return [...this.environments].filter((environment) => environment.busy).length;
  }

  /** Invocations refused so far because every environment was busy. */
  get throttles(): number {
    return this.throttleCount;
  }

  get maxConcurrency(): number {
    return this.settings.maxConcurrency;
  }

  async invoke(event: unknown, fault?: InvocationFault): Promise<InvokeResult> {
    const requestId = randomUUID();
    if (this.stopping) {
      return { ok: false, errorType: STOPPING_ERROR, errorMessage: `${this.settings.name} is not invoked: the offline runtime is stopping`, requestId };
    }
    const environment = this.acquire();
    if (!environment) {
      this.throttleCount += 1;
      this.settings.log(`Throttled: all ${this.settings.maxConcurrency} environments busy (${THROTTLED.errorType}: ${THROTTLED.errorMessage})`);
      return { ok: false, errorType: THROTTLED.errorType, errorMessage: THROTTLED.errorMessage, requestId };
    }
    const { timeoutSeconds } = this.settings;
    const started = Date.now();
    this.settings.log(`START RequestId: ${requestId}`);
    const result = await new Promise<InvokeResult>((settle) => {
      const id = (this.nextId += 1);
      environment.pending = { id, settle, requestId };
      let delayed: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        clearTimeout(delayed);
        // Lambda stops the sandbox of a timed-out invocation; the next one starts cold.
        this.discard(environment);
        settle({ ok: false, errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`, requestId });
      }, timeoutSeconds * 1000);
      const clear = (outcome: InvokeResult) => {
        clearTimeout(timer);
        clearTimeout(delayed);
        // An injected error replaces whatever the handler answered; a stop still says it stopped.
        const stopped = !outcome.ok && outcome.errorType === STOPPING_ERROR;
        settle(fault?.error && !stopped ? { ok: false, ...INJECTED_ERROR, requestId } : outcome);
      };
      environment.pending.settle = clear;
      const run = () => {
        if (fault?.error?.preventExecution) return clear({ ok: false, ...INJECTED_ERROR, requestId });
        environment.worker.postMessage({ id, event, requestId, deadline: started + timeoutSeconds * 1000 });
      };
      if (fault && fault.startupDelayMs > 0) delayed = setTimeout(run, fault.startupDelayMs);
      else run();
    });
    this.settings.log(`END RequestId: ${requestId} Duration: ${Date.now() - started} ms${result.ok ? '' : ` Error: ${result.errorMessage}`}`);
    this.release(environment);
    return result;
  }

  /** Refuses every invocation from now on; those running go on. */
  beginStop(): void {
    this.stopping = true;
  }

  /** Resolves once no invocation is running, or after `timeoutMs`; true if none is. */
  async idle(timeoutMs: number): Promise<boolean> {
    if (this.running === 0) return true;
    let done: () => void = () => undefined;
    const idle = new Promise<void>((resolve) => (done = resolve));
    this.idleWaiters.add(done);
    const timer = setTimeout(done, timeoutMs);
    await idle;
    clearTimeout(timer);
    this.idleWaiters.delete(done);
    return this.running === 0;
  }

  /** Stops every environment; an invocation still running fails (its caller gets an answer). */
  async stop(): Promise<void> {
    this.stopping = true;
    const environments = [...this.environments];
    this.environments.clear();
    for (const environment of environments) {
      environment.pending?.settle({
        ok: false,
        errorType: STOPPING_ERROR,
        errorMessage: `${this.settings.name} was stopped with the offline runtime before it finished`,
        requestId: environment.pending.requestId,
      });
    }
    await Promise.all(environments.map((environment) => environment.worker.terminate()));
  }

  /** An idle environment, a new one below the limit, or undefined: throttled. */
  private acquire(): Environment | undefined {
    const idle = [...this.environments].find((environment) => !environment.busy);
    const environment = idle ?? (this.environments.size < this.settings.maxConcurrency ? this.create() : undefined);
    if (environment) environment.busy = true;
    return environment;
  }

  private release(environment: Environment): void {
    environment.busy = false;
    environment.pending = undefined;
    this.notifyIfIdle();
  }

  private discard(environment: Environment): void {
    this.environments.delete(environment);
    void environment.worker.terminate();
    this.notifyIfIdle();
  }

  private notifyIfIdle(): void {
    if (this.running === 0) for (const waiter of this.idleWaiters) waiter();
  }

  private create(): Environment {
    const { name, bundle, exportName, harness, environment: variables, memoryMb, region, log } = this.settings;
    const worker = new Worker(harness, {
      workerData: { bundle, exportName, functionName: name, memoryMb, region },
      resourceLimits: heapLimits(memoryMb),
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
      pending.settle(
        message.error ? { ok: false, ...message.error, requestId: pending.requestId } : { ok: true, result: message.result, requestId: pending.requestId },
      );
    });
    worker.on('error', (error) => {
      // An uncaught exception ends the environment, failing what it was running.
      log(`Environment failed: ${error.message}`);
      this.environments.delete(environment);
      this.notifyIfIdle();
      environment.pending?.settle({ ok: false, errorType: 'Runtime.Error', errorMessage: error.message, requestId: environment.pending.requestId });
    });
    this.environments.add(environment);
    return environment;
  }
}
