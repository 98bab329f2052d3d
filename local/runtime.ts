/**
 * The offline runtime: the whole application in one Node process, no Docker, no account.
 * DynamoDB (dynalite) and SNS + SQS (fauxqs) run in-process behind the edge; the two Lambdas run
 * from their deployable bundles in worker threads; API Gateway and the SQS event source mapping
 * are emulated here; the Chaos API acts on every AWS call at the edge.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, QueueDoesNotExist, SQSClient } from '@aws-sdk/client-sqs';
import { build } from 'esbuild';
import dynalite from 'dynalite';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { awsLimits, env, functionEnvironment, functions, localstack, names, offline, region, retryPath, timing } from '#spec';
import { buildAll, distDir } from '../scripts/build';
import { messagesIn } from '../scripts/lib/target';
import { proxyAnswer, proxyEvent, routeError, stoppingAnswer, throttledAnswer } from './apigateway';
import { ApiGatewayControlService } from './services/apigateway-control';
import { IamService } from './services/iam';
import { LambdaService } from './services/lambda';
import { LogsService } from './services/logs';
import type { AwsService } from './services/service';
import { dynamodbShim } from './services/dynamodb';
import { snsShim } from './services/sns';
import { StsService } from './services/sts';
import { Chaos } from './chaos';
import { Edge, type LogLevel } from './edge';
import { markAsEventSource, pollOnce } from './event-source';
import { isThrottled, LocalFunction, STOPPING_ERROR } from './lambda';
import { EXTRA_ORIGINS_ENV, parseOrigins } from './origin';
import { createMessaging, createTable } from './resources';

export type { LogLevel } from './edge';

/** Settings a test (or a curious user) may scale down; each defaults to the deployed value from the spec. */
export interface Timings {
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  pollWaitSeconds: number;
  backoffBaseSeconds: number;
  backoffCapSeconds: number;
  breakerCooldownMs: number;
}

/** Timings scaled from minutes to seconds, for the tests and the soak: a retry every second, a 300 ms breaker. */
export const fastTimings: Partial<Timings> = {
  visibilityTimeoutSeconds: 5,
  pollWaitSeconds: 1,
  backoffBaseSeconds: 1,
  backoffCapSeconds: 1,
  breakerCooldownMs: 300,
};

export interface RuntimeOptions {
  port: number;
  host?: string;
  timings?: Partial<Timings>;
  /** Extra environment per function, over what the stack gives it: how a test breaks one on purpose. */
  environmentOverrides?: { product?: Record<string, string>; retry?: Record<string, string> };
  /** Bundle the Lambdas (and the worker harness) first; true unless the caller has just done it. */
  build?: boolean;
  /** Start with no resources, as a fresh LocalStack does: the stack is deployed into it (npm run deploy). */
  empty?: boolean;
  /** Draws for fault probabilities; Math.random unless a test wants them reproducible. */
  random?: () => number;
  /**
   * Origins besides the runtime's own whose web pages may change faults and data (see
   * local/origin.ts); by default those in EXTRA_CORS_ALLOWED_ORIGINS, as LocalStack reads them.
   */
  allowedOrigins?: string[];
  /** Each log line; `debug` ones (the event source's empty polls) are for a verbose view. */
  log?: (line: string, level?: LogLevel) => void;
}

/**
 * How long a stop waits for requests and invocations already under way (new ones are refused
 * at once). Calls they make are refused too, so they end quickly; whatever is still open then is
 * answered 503 and its environment is stopped.
 */
export const STOP_GRACE_MS = 3_000;

/** What a stop discarded: nothing persists between runs. */
export interface StopReport {
  /** Requests (API and AWS calls) refused with 503 because the runtime was stopping. */
  refused: number;
  /** Requests still under way when the grace period ran out, answered 503 (outcome unknown). */
  cutShort: number;
  /** Lambda invocations still running when the grace period ran out, stopped with their environments. */
  stoppedInvocations: number;
  /** Messages in ProductEventsQueue (visible, in flight and delayed); undefined if they could not be counted. */
  queued: number | undefined;
  /** The runtime held no ProductEventsQueue: started empty and nothing deployed, or destroyed again. */
  noQueue: boolean;
  /** Messages in ProductEventsDLQ; undefined if they could not be counted. */
  deadLettered: number | undefined;
  /** SNS deliveries to the queue that a fault was holding back. */
  heldDeliveries: number;
}

export interface Runtime {
  url: string;
  port: number;
  chaos: Chaos;
  /** The origins whose pages may change faults and data: the runtime's own and the extra ones. */
  allowedOrigins: string[];
  /**
   * Stops everything: refuses new work at once (503), waits up to STOP_GRACE_MS for what is under
   * way, answers what is still open (503), and resolves with what was refused, cut short and discarded.
   */
  stop(): Promise<StopReport>;
  /** For an exit that will not wait for stop(): answers every open request 503 now, so none is closed without an answer. */
  abandon(): void;
}

const defaults: Timings = {
  visibilityTimeoutSeconds: retryPath.visibilityTimeoutSeconds,
  maxReceiveCount: retryPath.maxReceiveCount,
  pollWaitSeconds: offline.pollWaitSeconds,
  backoffBaseSeconds: timing.backoffBaseSeconds,
  backoffCapSeconds: timing.backoffCapSeconds,
  breakerCooldownMs: timing.breakerCooldownMs,
};

const credentials = { accessKeyId: localstack.accessKey, secretAccessKey: localstack.secretKey };

export const harnessPath = path.join(distDir, 'offline', 'lambda-worker.js');

export async function buildHarness(): Promise<string> {
  const outfile = harnessPath;
  await build({
    entryPoints: [path.join(__dirname, 'lambda-worker.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
  return outfile;
}

async function listenLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function extraOriginsFromEnv(): string[] {
  try {
    return parseOrigins(process.env[EXTRA_ORIGINS_ENV]);
  } catch (error) {
    throw new Error(`${EXTRA_ORIGINS_ENV}: ${(error as Error).message}`);
  }
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const log = options.log ?? ((line: string) => console.log(line));
  const timings = { ...defaults, ...options.timings };
  const host = options.host ?? '127.0.0.1';
  const chaos = new Chaos(options.random);
  const cleanup: Array<() => Promise<unknown>> = [];
  const report: StopReport = { refused: 0, cutShort: 0, stoppedInvocations: 0, queued: undefined, noQueue: false, deadLettered: undefined, heldDeliveries: 0 };
  // Stopping: refuse new work at once (beginStop), wait a bounded time for what is under way (drain), then clean up.
  const beginStop: Array<() => void> = [];
  const drain: Array<(timeoutMs: number) => Promise<unknown>> = [];
  const drained: Array<() => void> = [];
  let abandon: () => void = () => undefined;
  let stopped: Promise<StopReport> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      for (const step of beginStop) step();
      const until = Date.now() + STOP_GRACE_MS;
      for (const step of drain) await step(Math.max(0, until - Date.now())).catch(() => undefined);
      for (const step of drained) step();
      for (const step of cleanup.reverse()) await step().catch(() => undefined);
      return report;
    })());

  try {
    const database = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    const databasePort = await listenLoopback(database);
    cleanup.push(() => new Promise((resolve) => database.close(resolve)));

    // fauxqs is an ES module; its queue URLs take LocalStack's form, with the edge's port.
    const { buildApp } = await import('fauxqs');
    const messaging = buildApp({ logger: false, host: 'localhost.localstack.cloud', defaultRegion: region });
    await messaging.listen({ port: 0, host: '127.0.0.1' });
    const messagingPort = (messaging.server.address() as AddressInfo).port;
    cleanup.push(() => messaging.close());
    // Just before fauxqs closes (the pollers, functions and edge are stopped by then): what it still holds.
    const queues: { queueUrl?: string; deadLetterQueueUrl?: string } = {};
    cleanup.push(async () => {
      const direct = new SQSClient({ region, endpoint: `http://127.0.0.1:${messagingPort}`, credentials, useQueueUrlAsEndpoint: false, maxAttempts: 1 });
      // A deployed stack's queues (an empty runtime) are found by name; null when there is no such queue.
      const urlOf = async (known: string | undefined, name: string) =>
        known ??
        (await direct.send(new GetQueueUrlCommand({ QueueName: name })).then(
          ({ QueueUrl }) => QueueUrl,
          (error: unknown) => (error instanceof QueueDoesNotExist ? null : undefined),
        ));
      const count = async (queueUrl: string | null | undefined) => (queueUrl ? messagesIn(direct, queueUrl) : undefined);
      const queueUrl = await urlOf(queues.queueUrl, names.queue);
      report.noQueue = queueUrl === null;
      report.queued = await count(queueUrl).catch(() => undefined);
      report.deadLettered = await count(await urlOf(queues.deadLetterQueueUrl, names.deadLetterQueue)).catch(() => undefined);
      direct.destroy();
    });

    // The services the runtime answers itself: what the Terraform AWS provider drives besides the data stores.
    const iam = new IamService();
    const controlPlane: AwsService[] = [iam, new StsService(iam), new LogsService(), new LambdaService(), new ApiGatewayControlService()];

    // The product function exists once the resources it names do; the API answers 502 until then.
    const functionsUp: { product?: LocalFunction; retry?: LocalFunction } = {};
    const edge: Edge = new Edge({
      host,
      port: options.port,
      chaos,
      allowedOrigins: options.allowedOrigins ?? extraOriginsFromEnv(),
      backends: { dynamodb: databasePort, sns: messagingPort, sqs: messagingPort },
      shims: { dynamodb: dynamodbShim, sns: snsShim },
      services: controlPlane,
      accountId: localstack.accountId,
      log,
      health: () => ({
        services: Object.fromEntries(['dynamodb', 'sns', 'sqs', ...controlPlane.flatMap((service) => service.names)].sort().map((s) => [s, 'running'])),
        edition: 'offline',
        pendingDeliveries: edge.pendingDeliveries,
        functions: Object.fromEntries(
          Object.entries(functionsUp).map(([, fn]) => [fn.name, { concurrencyLimit: fn.maxConcurrency, running: fn.running, throttles: fn.throttles }]),
        ),
      }),
      api: async (request, req, body, requestId) => {
        const notRouted = routeError(request, req.method ?? 'GET', requestId);
        const product = functionsUp.product;
        if (notRouted || !product) return notRouted ?? proxyAnswer({ ok: false, timedOut: false }, requestId);
        const event = proxyEvent(request, req.method ?? 'GET', req.headers, body, req.socket.remoteAddress ?? '127.0.0.1', requestId);
        // Never reached in practice: the function's own timeout (20 s) ends an invocation before API Gateway's 29 s.
        const integrationTimeout = new AbortController();
        const outcome = await Promise.race([
          product.invoke(event),
          sleep(awsLimits.apiGatewayIntegrationTimeoutMs, 'timeout' as const, { signal: integrationTimeout.signal }),
        ]);
        integrationTimeout.abort();
        if (outcome === 'timeout') return proxyAnswer({ ok: false, timedOut: true }, requestId);
        if (!outcome.ok && outcome.errorType === STOPPING_ERROR) return stoppingAnswer(requestId, false);
        if (isThrottled(outcome)) {
          log(
            `API Gateway ${req.method} /${names.stage}/${names.resource} => 500 (Lambda throttled ${product.name}: 429 TooManyRequestsException, Rate Exceeded.)`,
          );
          return throttledAnswer(product.name, product.maxConcurrency, requestId);
        }
        return proxyAnswer(outcome.ok ? outcome : { ok: false, timedOut: false }, requestId);
      },
    });
    const port = await edge.listen();
    beginStop.push(() => edge.beginStop());
    drain.push((timeoutMs) => edge.drain(timeoutMs));
    // What is still open when the wait runs out is answered 503 before the functions stop.
    drained.push(() => edge.answerOpen());
    abandon = () => edge.answerOpen();
    cleanup.push(async () => {
      const { refused, cutShort } = await edge.close();
      Object.assign(report, { refused, cutShort, heldDeliveries: edge.pendingDeliveries });
    });
    const url = `http://127.0.0.1:${port}`;
    const runtime = { url, port, chaos, allowedOrigins: edge.allowedOrigins, stop, abandon: () => abandon() };
    if (options.empty) return runtime;

    // Bundled after the port is ours, so a taken port fails fast and leaves dist/ alone.
    if (options.build !== false) await Promise.all([buildAll(), buildHarness()]);
    const harness = harnessPath;
    const bundleOf = (name: string) => path.join(distDir, name, 'index.js');
    for (const file of [harness, bundleOf('product'), bundleOf('retry')]) {
      if (!existsSync(file)) throw new Error(`${path.relative(process.cwd(), file)} is missing: run npm run build, or start without --no-build`);
    }

    // The resources, created through the edge with the SDK, as a deployment would.
    const client = { region, endpoint: url, credentials };
    const sqs = new SQSClient({ ...client, useQueueUrlAsEndpoint: false });
    await createTable(new DynamoDBClient(client));
    const { topicArn, queueUrl, queueArn, deadLetterQueueUrl } = await createMessaging(sqs, new SNSClient(client), timings);
    Object.assign(queues, { queueUrl, deadLetterQueueUrl });

    // The functions, with the environment the stack gives them, calling AWS through the edge.
    const environment = functionEnvironment({ tableName: names.table, topicArn, queueUrl, deadLetterQueueUrl });
    const common = {
      AWS_ENDPOINT_URL: url,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      // The functions run on nodejs22.x when deployed; here they share this machine's Node.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      [env.backoffBaseSeconds]: String(timings.backoffBaseSeconds),
      [env.backoffCapSeconds]: String(timings.backoffCapSeconds),
      [env.breakerCooldownMs]: String(timings.breakerCooldownMs),
      [env.maxReceiveCount]: String(timings.maxReceiveCount),
    };
    if (timing.productTimeoutSeconds * 1000 >= awsLimits.apiGatewayIntegrationTimeoutMs) {
      // Then an invocation API Gateway gave up on could still store its write unseen.
      throw new Error(
        `${names.productFunction}'s timeout (${timing.productTimeoutSeconds} s) must be shorter than API Gateway's ${awsLimits.apiGatewayIntegrationTimeoutMs / 1000} s`,
      );
    }
    const fn = (name: string, bundle: string, variables: Record<string, string>, timeoutSeconds: number, maxConcurrency: number) =>
      new LocalFunction({
        name,
        bundle: bundleOf(bundle),
        harness,
        // Only what Lambda would set: the stack's variables and the runtime's own, not this shell's.
        environment: { ...variables, ...common },
        timeoutSeconds,
        memoryMb: functions.memoryMb,
        region,
        maxConcurrency,
        log: (line) => log(`[${name}] ${line}`),
      });
    const overrides = options.environmentOverrides ?? {};
    const product = fn(
      names.productFunction,
      'product',
      { ...environment.product, ...overrides.product },
      timing.productTimeoutSeconds,
      offline.productConcurrency,
    );
    functionsUp.product = product;
    const retry = fn(names.retryFunction, 'retry', { ...environment.retry, ...overrides.retry }, timing.retryTimeoutSeconds, retryPath.maximumConcurrency);
    functionsUp.retry = retry;
    beginStop.push(
      () => product.beginStop(),
      () => retry.beginStop(),
    );
    drain.push((timeoutMs) => Promise.all([product.idle(timeoutMs), retry.idle(timeoutMs)]));
    cleanup.push(async () => {
      report.stoppedInvocations = product.running + retry.running;
      await Promise.all([product.stop(), retry.stop()]);
    });

    // The event source mapping: as many pollers as its maximum concurrency, each long-polling through
    // the edge, with calls marked as the event source's so its empty polls stay out of the log.
    const pollerSqs = markAsEventSource(new SQSClient({ ...client, useQueueUrlAsEndpoint: false }), names.retryFunction);
    const polling = new AbortController();
    const settings = { queueUrl, queueArn, region, batchSize: retryPath.batchSize, waitTimeSeconds: timings.pollWaitSeconds };
    const pollers = Array.from({ length: retryPath.maximumConcurrency }, async () => {
      while (!polling.signal.aborted) {
        try {
          await pollOnce(
            pollerSqs,
            settings,
            async (event) => {
              const outcome = await retry.invoke(event);
              if (!outcome.ok) throw new Error(outcome.errorMessage);
              return outcome.result as Awaited<ReturnType<Parameters<typeof pollOnce>[2]>>;
            },
            polling.signal,
          );
        } catch {
          // A faulted or aborted receive: wait a moment, as the real poller backs off.
          if (!polling.signal.aborted) await sleep(1_000);
        }
      }
    });
    // A stop ends the polls at once, so no new batch is received or invoked.
    beginStop.push(() => polling.abort());
    cleanup.push(async () => {
      polling.abort();
      await Promise.all(pollers);
    });

    return runtime;
  } catch (error) {
    await stop();
    throw error;
  }
}
