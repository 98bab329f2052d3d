/**
 * The command of `npm start`: the offline runtime in the foreground, on 127.0.0.1:4566 unless told
 * otherwise, serving the parts its caller mounts (scripts/start.ts: the dashboard). Ctrl-C (or
 * SIGTERM) stops it cleanly and says what it discarded.
 */
import { localstack, names } from '#spec';
import { command, int, InvalidArgumentError, onStopSignal, Option, parse, UsageError } from '../../shared/cli/command';
import type { Mount, MountContext } from '../../shared/contracts/mount';
import { EXTRA_HOSTS_ENV, EXTRA_ORIGINS_ENV, normalizeHost, normalizeOrigin, parseHosts, parseOrigins } from '../../shared/http/origin';
import type { LogLevel } from '../protocol/contracts';
import { fastTimings, STOP_GRACE_MS, type StopReport, startRuntime, type Timings } from './compose';

interface StartOptions {
  port: number;
  quiet?: boolean;
  verbose?: boolean;
  build: boolean;
  empty?: boolean;
  allowOrigin?: string[];
  allowHost?: string[];
  fastTimings?: boolean;
}

/**
 * `--fast-timings`: the tests' scaled timings, and a redrive threshold of 20 receives (the
 * retry function re-queues a waiting write from the 4th, as it does 16 receives before any
 * threshold), so an outage past the queue's redrive threshold
 * (experiments/07-outage-past-redrive.json) takes seconds instead of the deployed half hour.
 */
const fastStartTimings: Partial<Timings> = { ...fastTimings, maxReceiveCount: 20 };

function startCommand() {
  return command(
    'npm start --',
    'Runs the AWS services the stack uses (DynamoDB, SNS, SQS, Lambda, API Gateway, IAM, STS, CloudWatch Logs) and the LocalStack Chaos API in one process on 127.0.0.1, with no Docker and no AWS account. By default the app is deployed into it at start; with --empty, `npm run deploy` deploys it.',
  )
    .addOption(new Option('--port <N>', 'port to listen on').env('OFFLINE_PORT').default(localstack.port).argParser(int(0, 65535)))
    .addOption(new Option('--quiet', 'do not print a line per AWS call').conflicts('verbose'))
    .option('--verbose', "also print the event source's empty polls of the queue (hidden by default)")
    .addOption(
      new Option(
        '--allow-origin <URL>',
        `also let web pages of this origin change faults and data (repeatable; adds to $${EXTRA_ORIGINS_ENV}, comma-separated)`,
      ).argParser((raw: string, previous: string[] | undefined) => {
        try {
          return [...(previous ?? []), normalizeOrigin(raw)];
        } catch (error) {
          throw new InvalidArgumentError(`${(error as Error).message}.`);
        }
      }),
    )
    .addOption(
      new Option(
        '--allow-host <name>',
        `also answer requests that name this host (repeatable; adds to $${EXTRA_HOSTS_ENV}, comma-separated); by default only loopback names`,
      ).argParser((raw: string, previous: string[] | undefined) => {
        try {
          return [...(previous ?? []), normalizeHost(raw)];
        } catch (error) {
          throw new InvalidArgumentError(`${(error as Error).message}.`);
        }
      }),
    )
    .option('--no-build', 'run the Lambda bundles already in dist/ instead of bundling them first')
    .option('--empty', 'start with no resources, like a fresh LocalStack, for `npm run deploy` to deploy the stack into')
    .addOption(
      new Option(
        '--fast-timings',
        `scale the retry path from minutes to seconds, as the tests do: a retry every ${fastStartTimings.backoffCapSeconds} s, a ${fastStartTimings.breakerCooldownMs} ms breaker, ` +
          `${fastStartTimings.visibilityTimeoutSeconds} s visibility timeout, ${fastStartTimings.pollWaitSeconds} s polls and maxReceiveCount ${fastStartTimings.maxReceiveCount} ` +
          '(the redrive threshold after about 20 to 30 s of failed retries instead of about 33 minutes); not what a deploy gives the functions',
      ).conflicts('empty'),
    )
    .addHelpText(
      'after',
      `
Web pages: a page may change faults or data (any call but GET, HEAD and OPTIONS
to /_localstack/* and the AWS APIs) only if the runtime itself serves it
(http://localhost:<port>, http://127.0.0.1:<port>) or its origin is allowed
with --allow-origin or ${EXTRA_ORIGINS_ENV}; other origins get 403. curl, the
SDKs and the AWS CLI send no Origin and are not affected; neither is the
product API.

Host names: every request must name a loopback host (localhost, 127.0.0.1,
[::1], *.localhost, localhost.localstack.cloud and its subdomains) or one
allowed with --allow-host or ${EXTRA_HOSTS_ENV}; others get 403, so a page
cannot read the runtime under a name of its own (DNS rebinding).`,
    );
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** The last line of a run: what stopping refused, cut short and discarded. */
function stopMessage(report: StopReport): string {
  const requests: string[] = [];
  if (report.refused > 0) requests.push(`${plural(report.refused, 'request', 'requests')} refused with 503 while stopping`);
  if (report.cutShort > 0)
    requests.push(`${plural(report.cutShort, 'request', 'requests')} still under way after ${STOP_GRACE_MS / 1000} s answered 503 (outcome unknown)`);
  if (report.stoppedInvocations > 0) requests.push(`${plural(report.stoppedInvocations, 'Lambda invocation', 'Lambda invocations')} stopped unfinished`);
  const discarded = discardMessage(report);
  return requests.length === 0 ? discarded : `${discarded} ${capitalize(requests.join('; '))}.`;
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function discardMessage({ queued, noQueue, deadLettered, heldDeliveries }: StopReport): string {
  if (noQueue && heldDeliveries === 0 && !deadLettered) {
    // An empty runtime nothing was deployed into (or whose stack was destroyed): there was nothing to count.
    return `Stopped. There was no ${names.queue}, so no accepted write was pending; nothing persists between runs.`;
  }
  const gone = 'discarded with the runtime (nothing persists between runs)';
  // A message in either queue is an accepted write: one the retry function has yet to apply, or one parked for a redrive.
  const inQueues = (
    [
      [names.queue, queued],
      [names.deadLetterQueue, deadLettered],
    ] as const
  ).flatMap(([name, count]) => (count ? [{ name, count }] : []));
  const total = inQueues.reduce((sum, { count }) => sum + count, heldDeliveries);
  const sentences: string[] = [];
  if (total > 0) {
    const writes = plural(total, 'accepted write was', 'accepted writes were');
    const are = total === 1 ? 'is' : 'are';
    const places = inQueues.map(({ name, count }) => `${count} in ${name}`);
    if (heldDeliveries > 0) places.push(`${plural(heldDeliveries, 'SNS delivery', 'SNS deliveries')} held back by a fault`);
    const only = inQueues.length === 1 && heldDeliveries === 0 ? inQueues[0] : undefined;
    sentences.push(only ? `${writes} still in ${only.name} and ${are} ${gone}.` : `${writes} still pending (${places.join(', ')}) and ${are} ${gone}.`);
  }
  if (queued === undefined && !noQueue) sentences.push(`${names.queue} could not be counted; what it held is ${gone}.`);
  if (sentences.length === 0) {
    const empty = deadLettered === 0 ? `${names.queue} and ${names.deadLetterQueue} were empty` : `${names.queue} was empty`;
    sentences.push(`No accepted write was pending (${empty}, no SNS delivery was held back); nothing persists between runs.`);
  }
  return `Stopped. ${sentences.join(' ')}`;
}

/** Runs `npm start` with these arguments, serving the parts `mounts` gives once the port is known; resolves with the exit code. */
export async function runStart(argv: string[], mounts: (context: MountContext) => Mount[]): Promise<number> {
  const cmd = startCommand();
  if (!(await parse(cmd, argv))) return 0;
  const options = cmd.opts<StartOptions>();
  const fromEnv = (name: string, parseList: (list: string | undefined) => string[]) => {
    try {
      return parseList(process.env[name]);
    } catch (error) {
      throw new UsageError(`${name}: ${(error as Error).message}`);
    }
  };
  const extraOrigins = [...fromEnv(EXTRA_ORIGINS_ENV, parseOrigins), ...(options.allowOrigin ?? [])];
  const extraHosts = [...fromEnv(EXTRA_HOSTS_ENV, parseHosts), ...(options.allowHost ?? [])];

  const started = performance.now();
  const log = (line: string, level: LogLevel = 'info') => {
    if (level === 'debug' && !options.verbose) return;
    if (options.quiet && line.startsWith('AWS ')) return;
    console.log(`${new Date().toISOString()} ${line}`);
  };
  let runtime;
  let mounted: Mount[] = [];
  try {
    runtime = await startRuntime({
      port: options.port,
      log,
      build: options.build,
      empty: options.empty,
      allowedOrigins: [...new Set(extraOrigins)],
      allowedHosts: [...new Set(extraHosts)],
      mounts: (context) => {
        // Each part is named in the ready message, with where it is served.
        mounted = mounts(context);
        return mounted;
      },
      ...(options.fastTimings ? { timings: fastStartTimings } : {}),
    });
  } catch (error) {
    throw new Error(`Could not start the offline runtime: ${error instanceof Error ? error.message : String(error)}`);
  }
  const base = runtime.url.replace('127.0.0.1', 'localhost');
  const extra = runtime.allowedOrigins.filter((origin) => extraOrigins.includes(origin));
  const view = options.quiet
    ? 'no AWS calls (--quiet)'
    : options.verbose
      ? 'every AWS call, the event source’s empty polls too (--verbose)'
      : 'each AWS call; the event source’s empty polls are hidden (--verbose shows them)';
  console.log(`
Offline runtime ready in ${Math.round(performance.now() - started)} ms on ${runtime.url}

${mounted.map(({ name, prefix }) => `  ${capitalize(name).padEnd(14)}${base}${prefix}/\n`).join('')}  Product API   ${localstack.apiUrl.replace(`:${localstack.port}`, `:${runtime.port}`)}
                ${base}/_aws/execute-api/${names.restApiId}/${names.stage}/${names.resource}   (no DNS needed)
  Chaos API     ${base}/_localstack/chaos/faults   and   /_localstack/chaos/effects
  AWS CLI       aws --endpoint-url ${base} dynamodb scan --table-name ${names.table}
  Log           ${view}${options.fastTimings ? `\n  Timings       scaled down (--fast-timings): a retry every ${fastStartTimings.backoffCapSeconds} s, maxReceiveCount ${fastStartTimings.maxReceiveCount}` : ''}
  Web pages     only this runtime's own origins may change faults or data${extra.length > 0 ? `, and ${extra.join(', ')}` : ` (more: --allow-origin URL or ${EXTRA_ORIGINS_ENV})`}

Nothing persists between runs. Press Ctrl-C to stop.
`);

  return new Promise<number>((resolve) => {
    let forced = false;
    onStopSignal(
      (signal) => {
        console.log(
          `${signal}: stopping the offline runtime. New requests are refused (503); what is under way gets up to ${STOP_GRACE_MS / 1000} s. ` +
            'Press Ctrl-C again to exit at once.',
        );
        runtime.stop().then(
          (report) => {
            if (forced) return;
            console.log(stopMessage(report));
            resolve(0);
          },
          (error: unknown) => {
            if (forced) return;
            console.error(`Error while stopping: ${error instanceof Error ? error.message : String(error)}`);
            resolve(1);
          },
        );
      },
      (signal) => {
        if (forced) return;
        forced = true;
        console.log(`${signal} again: exiting without waiting for the runtime to stop (open requests are answered 503; everything pending is discarded).`);
        runtime.abandon();
        // A moment for those answers to leave before the process ends.
        setTimeout(() => resolve(130), 100);
      },
    );
  });
}
