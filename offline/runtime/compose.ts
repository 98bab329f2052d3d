/**
 * The offline runtime: the whole application in one Node process, no Docker, no account.
 * DynamoDB (dynalite) and SNS + SQS (fauxqs) run in-process behind the edge, beside the control
 * plane the runtime answers itself (IAM, STS, Logs, Lambda, API Gateway); what was deployed
 * through it runs here: functions from their zips in worker threads (function-host.ts), event
 * source mappings' pollers (mapping-host.ts), the stages' routes (apigateway.ts). The Chaos API
 * acts on every AWS call at the edge. This module only composes them.
 */
import { GetQueueUrlCommand, QueueDoesNotExist, SQSClient } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { awsLimits, env, localstack, names, offline, region, retryPath, timing } from '#spec';
import { build } from '../../shared/build/esbuild';
import { buildAll } from '../../shared/build/lambda-bundles';
import type { LogListener, Mount, MountContext } from '../../shared/contracts/mount';
import { OFFLINE_EDITION } from '../../shared/contracts/offline-api';
import { DIST_DIR, REPO_ROOT } from '../../shared/paths';
import { messagesIn } from '../../shared/app-client/queue-depth';
import { missingAnswer, serveApi } from '../services/apigateway/serve';
import { ApiGatewayControlService } from '../services/apigateway/control';
import { IamService } from '../services/iam/iam';
import { LambdaService } from '../services/lambda/control';
import { lambdaLogStreamName, LogsService } from '../services/logs';
import type { AwsService } from '../protocol/service';
import { dynamodbShim } from '../services/shims/dynamodb';
import { snsShim } from '../services/shims/sns';
import { StsService } from '../services/sts';
import { Chaos } from '../chaos/chaos';
import { Edge } from '../edge/edge';
import { FunctionHost, ROLE_SESSION_SECONDS } from '../services/lambda/host';
import { CodeStore } from '../services/lambda/code';
import { MappingHost } from '../services/event-source-mappings/host';
import { EXTRA_HOSTS_ENV, EXTRA_ORIGINS_ENV, parseHosts, parseOrigins } from '../../shared/http/origin';
import { BACKEND_KEY_HEADER, BACKEND_REFUSAL, fromEdge, newBackendKey, serveOnlyWithKey } from '../protocol/backend-key';
import { provisionApp } from './provision';
import type { LogLevel } from '../protocol/contracts';
import { forwardTo } from '../protocol/emulator';
import { publishHold } from '../services/sns/publish-hold';
import { sqsQueueUrls } from '../services/sqs/queue-urls';

export type { LogLevel } from '../protocol/contracts';

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
   * shared/http/origin.ts); by default those in EXTRA_CORS_ALLOWED_ORIGINS, as LocalStack reads them.
   */
  allowedOrigins?: string[];
  /** Host names besides the loopback ones that requests may name; by default those in OFFLINE_ALLOWED_HOSTS. */
  allowedHosts?: string[];
  /** Each log line; `debug` ones (the event source's empty polls) are for a verbose view. */
  log?: (line: string, level?: LogLevel) => void;
  /** Parts served beside AWS's APIs on the port (npm start: the dashboard at /dashboard/); none by default. */
  mounts?: (context: MountContext) => Mount[];
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
  /** The emulators' own loopback ports (DynamoDB, then SNS and SQS): they answer only the edge. */
  emulatorPorts: number[];
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

export const harnessPath = path.join(DIST_DIR, 'offline', 'lambda-worker.js');

export async function buildHarness(): Promise<string> {
  const outfile = harnessPath;
  await build({
    entryPoints: [path.join(REPO_ROOT, 'offline', 'services', 'lambda', 'worker.ts')],
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

function fromEnv(name: string, parse: (list: string | undefined) => string[]): string[] {
  try {
    return parse(process.env[name]);
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`);
  }
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const print = options.log ?? ((line: string) => console.log(line));
  // Every log line also goes to the mounts' listeners (the dashboard's arrows, counts and log view while a page is open).
  const listeners = new Set<LogListener>();
  const log = (line: string, level?: LogLevel) => {
    print(line, level);
    for (const listener of listeners) listener(line, level);
  };
  let mounted: Mount[] = [];
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
    const backendKey = newBackendKey();
    const database = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    serveOnlyWithKey(database, backendKey);
    const databasePort = await listenLoopback(database);
    cleanup.push(() => new Promise((resolve) => database.close(resolve)));

    // fauxqs is an ES module; its queue URLs take LocalStack's form, with the edge's port.
    const { buildApp } = await import('fauxqs');
    const messaging = buildApp({ logger: false, host: 'localhost.localstack.cloud', defaultRegion: region });
    messaging.addHook('onRequest', async (request, reply) => {
      if (!fromEdge(request.headers, backendKey)) await reply.code(403).send(BACKEND_REFUSAL);
    });
    await messaging.listen({ port: 0, host: '127.0.0.1' });
    const messagingPort = (messaging.server.address() as AddressInfo).port;
    cleanup.push(() => messaging.close());
    // Just before fauxqs closes (the pollers, functions and edge are stopped by then): what it still holds.
    cleanup.push(async () => {
      const direct = new SQSClient({ region, endpoint: `http://127.0.0.1:${messagingPort}`, credentials, useQueueUrlAsEndpoint: false, maxAttempts: 1 });
      direct.middlewareStack.add(
        (next) => (args) => {
          (args.request as { headers: Record<string, string> }).headers[BACKEND_KEY_HEADER] = backendKey;
          return next(args);
        },
        { step: 'build' },
      );
      // The queues are found by name; null when there is no such queue (nothing deployed, or destroyed).
      const urlOf = (name: string) =>
        direct.send(new GetQueueUrlCommand({ QueueName: name })).then(
          ({ QueueUrl }) => QueueUrl,
          (error: unknown) => (error instanceof QueueDoesNotExist ? null : undefined),
        );
      const count = async (queueUrl: string | null | undefined) => (queueUrl ? messagesIn(direct, queueUrl) : undefined);
      const queueUrl = await urlOf(names.queue);
      report.noQueue = queueUrl === null;
      report.queued = await count(queueUrl).catch(() => undefined);
      report.deadLettered = await count(await urlOf(names.deadLetterQueue)).catch(() => undefined);
      direct.destroy();
    });

    // The services the runtime answers itself: what the Terraform AWS provider drives besides the data stores.
    const iam = new IamService();
    const sts = new StsService(iam);
    const logs = new LogsService();
    const code = new CodeStore(path.join(DIST_DIR, 'offline', 'functions'));
    // Last, after the functions running the code have stopped: nothing unpacked outlives the runtime.
    cleanup.push(() => code.close());
    const lambda = new LambdaService(code);
    const apigateway = new ApiGatewayControlService();
    const controlPlane: AwsService[] = [iam, sts, logs, lambda, apigateway];

    // SNS publishes whose delivery to SQS a fault is holding back (or fauxqs refused); kept until delivered.
    const { held, step: holdPublishes } = publishHold({ chaos, forward: (request, body) => forwardTo(messagingPort, backendKey, request, body), log });
    // What was deployed runs (see hosts below); the edge's port is known once it listens.
    const hosts: { functions?: FunctionHost } = {};
    const edge: Edge = new Edge({
      host,
      port: options.port,
      chaos,
      allowedOrigins: options.allowedOrigins ?? fromEnv(EXTRA_ORIGINS_ENV, parseOrigins),
      allowedHosts: options.allowedHosts ?? fromEnv(EXTRA_HOSTS_ENV, parseHosts),
      backends: { dynamodb: databasePort, sns: messagingPort, sqs: messagingPort },
      backendKey,
      shims: { dynamodb: dynamodbShim, sns: snsShim },
      emulatorSteps: [holdPublishes, sqsQueueUrls],
      services: controlPlane,
      enforceIam: { sessions: sts, roles: iam },
      accountId: localstack.accountId,
      log,
      mounts: () => mounted,
      health: () => ({
        services: Object.fromEntries(['dynamodb', 'sns', 'sqs', ...controlPlane.flatMap((service) => service.names)].sort().map((s) => [s, 'running'])),
        edition: OFFLINE_EDITION,
        pendingDeliveries: held.pending,
        functions: hosts.functions?.health() ?? {},
      }),
      api: (request, req, body, requestId) => {
        const functions = hosts.functions;
        // Only in the moment before the hosts start, when nothing can have been deployed yet.
        if (!functions) return Promise.resolve(missingAnswer('api', request, requestId));
        const backend = {
          route: apigateway.route.bind(apigateway),
          invoke: functions.invoke.bind(functions),
          concurrencyLimit: functions.concurrencyLimit.bind(functions),
          log,
        };
        return serveApi(backend, request, req, body, requestId);
      },
    });
    const port = await edge.listen();
    held.start();
    // Held deliveries are no longer retried once the runtime begins to stop.
    beginStop.push(
      () => edge.beginStop(),
      () => held.stop(),
    );
    mounted =
      options.mounts?.({
        endpoint: `http://127.0.0.1:${port}`,
        port,
        allowedOrigins: edge.allowedOrigins,
        allowedHosts: edge.allowedHosts,
        log: {
          subscribe: (listener) => {
            listeners.add(listener);
            return () => listeners.delete(listener);
          },
        },
      }) ?? [];
    for (const mount of mounted) beginStop.push(() => mount.close());
    drain.push((timeoutMs) => edge.drain(timeoutMs));
    // What is still open when the wait runs out is answered 503 before the functions stop.
    drained.push(() => edge.answerOpen());
    abandon = () => {
      held.stop();
      edge.answerOpen();
    };
    cleanup.push(async () => {
      const { refused, cutShort } = await edge.close();
      Object.assign(report, { refused, cutShort, heldDeliveries: held.pending });
    });
    const url = `http://127.0.0.1:${port}`;
    const runtime = { url, port, chaos, allowedOrigins: edge.allowedOrigins, emulatorPorts: [databasePort, messagingPort], stop, abandon: () => abandon() };

    // Bundled after the port is ours, so a taken port fails fast and leaves dist/ alone.
    if (options.build !== false) await Promise.all([buildHarness(), ...(options.empty ? [] : [buildAll()])]);
    if (!existsSync(harnessPath)) throw new Error(`${path.relative(process.cwd(), harnessPath)} is missing: run npm run build, or start without --no-build`);

    // Each function's lines go to the log, and to its log group when the stack created it (a
    // group made here would be left behind by a destroy, or refused to Terraform's create).
    const streams = new Map<string, string>();
    const functions = new FunctionHost({
      source: lambda,
      harness: harnessPath,
      code,
      endpointUrl: url,
      defaultConcurrency: offline.productConcurrency,
      credentialsFor: (roleArn, functionName) => sts.assumeRole(roleArn, functionName, ROLE_SESSION_SECONDS),
      invocationFault: (functionName) => chaos.invocationFault(functionName),
      onLog: (functionName, line) => {
        log(`[${functionName}] ${line}`);
        const group = `/aws/lambda/${functionName}`;
        if (!logs.hasGroup(group)) return;
        const stream = streams.get(functionName) ?? lambdaLogStreamName();
        streams.set(functionName, stream);
        logs.append(group, stream, [{ timestamp: Date.now(), message: line }]);
      },
    });
    hosts.functions = functions;
    const mappings = new MappingHost({ source: lambda, functions, endpointUrl: url, pollWaitSeconds: timings.pollWaitSeconds, log });
    // A stop ends the polls at once, so no new batch is received or invoked.
    beginStop.push(
      () => mappings.beginStop(),
      () => functions.beginStop(),
    );
    drain.push((timeoutMs) => functions.idle(timeoutMs));
    cleanup.push(
      () => mappings.stop(),
      async () => {
        report.stoppedInvocations = functions.running;
        await functions.stop();
      },
    );
    if (options.empty) return runtime;

    // The app, ready at start as the tutorial's init hook has it: created through the control plane, as a deploy does.
    if (timing.productTimeoutSeconds * 1000 >= awsLimits.apiGatewayIntegrationTimeoutMs) {
      // Then an invocation API Gateway gave up on could still store its write unseen.
      throw new Error(
        `${names.productFunction}'s timeout (${timing.productTimeoutSeconds} s) must be shorter than API Gateway's ${awsLimits.apiGatewayIntegrationTimeoutMs / 1000} s`,
      );
    }
    // Only the timings a caller scaled become variables: the defaults are the stack's own, so the
    // functions get exactly what a deploy gives them.
    const variables = {
      backoffBaseSeconds: env.backoffBaseSeconds,
      backoffCapSeconds: env.backoffCapSeconds,
      breakerCooldownMs: env.breakerCooldownMs,
      maxReceiveCount: env.maxReceiveCount,
    };
    const scaled = Object.fromEntries(
      Object.entries(variables).flatMap(([key, name]) => {
        const value = options.timings?.[key as keyof typeof variables];
        return value === undefined ? [] : [[name, String(value)]];
      }),
    );
    const overrides = options.environmentOverrides ?? {};
    await provisionApp({
      endpoint: url,
      distDir: DIST_DIR,
      visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
      maxReceiveCount: timings.maxReceiveCount,
      environment: { product: { ...scaled, ...overrides.product }, retry: { ...scaled, ...overrides.retry } },
    });
    return runtime;
  } catch (error) {
    await stop();
    throw error;
  }
}
