/**
 * The offline runtime: the whole application in one Node process, no Docker, no account.
 * DynamoDB (dynalite) and SNS + SQS (fauxqs) run in-process behind the edge, beside the control
 * plane the runtime answers itself (IAM, STS, Logs, Lambda, API Gateway); what was deployed
 * through it runs here: functions from their zips in worker threads
 * (offline/services/lambda/host.ts), event source mappings' pollers
 * (offline/services/event-source-mappings/host.ts), the stages' routes
 * (offline/services/apigateway/serve.ts). The Chaos API acts on every AWS call at the edge. This
 * module only composes them.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { localstack, offline, retryPath, timing } from '#spec';
import { buildAll } from '../../shared/build/lambda-bundles';
import type { LogListener, Mount, MountContext } from '../../shared/contracts/mount';
import { OFFLINE_EDITION } from '../../shared/contracts/offline-api';
import { DIST_DIR } from '../../shared/paths';
import { missingAnswer, serveApi } from '../services/apigateway/serve';
import { ApiGatewayControlService } from '../services/apigateway/control';
import { IamService } from '../services/iam/iam';
import { LambdaService } from '../services/lambda/control';
import { lambdaLogStreamName } from '../services/logs/model';
import { LogsService } from '../services/logs/service';
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
import { newBackendKey } from '../protocol/backend-key';
import { type QueueCounts, startEmulators } from './emulators';
import { buildHarness, harnessPath } from './harness';
import { deployApp } from './app';
import { StopSteps } from './stop-steps';
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

/** What a stop discarded: nothing persists between runs (the queue counts are what fauxqs held). */
export interface StopReport extends QueueCounts {
  /** Requests (API and AWS calls) refused with 503 because the runtime was stopping. */
  refused: number;
  /** Requests still under way when the grace period ran out, answered 503 (outcome unknown). */
  cutShort: number;
  /** Lambda invocations still running when the grace period ran out, stopped with their environments. */
  stoppedInvocations: number;
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
  const report: StopReport = { refused: 0, cutShort: 0, stoppedInvocations: 0, queued: undefined, noQueue: false, deadLettered: undefined, heldDeliveries: 0 };
  const steps = new StopSteps();
  const { beginStop, drain, drained, cleanup } = steps;
  let abandon: () => void = () => undefined;
  const stop = () => steps.run(STOP_GRACE_MS).then(() => report);

  try {
    const backendKey = newBackendKey();
    const { databasePort, messagingPort, queueCounts } = await startEmulators(backendKey, cleanup);
    // Just before fauxqs closes (the pollers, functions and edge are stopped by then): what it still holds.
    cleanup.push(async () => Object.assign(report, await queueCounts()));

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
    await deployApp(url, timings, options.timings ?? {}, options.environmentOverrides ?? {});
    return runtime;
  } catch (error) {
    await stop();
    throw error;
  }
}
