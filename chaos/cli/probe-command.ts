/**
 * `node --import tsx scripts/probe.ts <command>`: the probes and actions the experiment files
 * (experiments/*.json) run as Chaos Toolkit process providers. Each command prints one JSON
 * object on one line and exits 0 when its check holds, 1 when it does not, and 2 for a wrong
 * command line or when it could not take its reading (the target unreachable, a resource
 * missing), with one `Error:` line on stderr.
 */
import '../../shared/cli/quiet-sdk';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { deadLetterQueues, env, localstack, names, region } from '#spec';
import { type Command, command, decimal, InvalidArgumentError, int, Option, parse, UsageError } from '../../shared/cli/command';
import { ProbeError, probeError } from '../probes/errors';
import { setFallback, setRetryMapping } from '../../shared/app-client/switches';
import { queuesWithin } from '../probes/queues';
import { ACTIVITY_ENV, readRecords } from '../probes/records';
import { writeProducts } from '../probes/write';
import { writesHold } from '../probes/writes-hold';
import { AppClient } from '../../shared/app-client/app-client';

export { UsageError };

type Print = (line: string) => void;

const ENDPOINT_HELP = `LocalStack or the offline runtime (default $CHAOS_ENDPOINT or ${localstack.endpoint})`;

function endpointUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidArgumentError('Expected a URL such as http://localhost:4566.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('Expected an http:// or https:// URL.');
  return raw.replace(/\/+$/, '');
}

/** `200,202`: HTTP statuses (0 stands for "no answer"). */
function statusList(raw: string): number[] {
  const statuses = raw.split(',').map((part) => part.trim());
  if (statuses.some((status) => !/^\d+$/.test(status) || (Number(status) !== 0 && (Number(status) < 100 || Number(status) > 599)))) {
    throw new InvalidArgumentError('Expected HTTP statuses separated by commas, such as 200,202 (0 means no answer).');
  }
  return [...new Set(statuses.map(Number))];
}

/** Product ids are 1 to 128 characters of letters, digits and . _ : - (the API's rule), and `-<i>` follows the prefix. */
function prefix(raw: string): string {
  if (!/^[A-Za-z0-9._:-]{1,100}$/.test(raw)) throw new InvalidArgumentError('Expected 1 to 100 letters, digits or . _ : - (product ids are built from it).');
  return raw;
}

const seconds = (value: number) => Math.round(value * 1000);

interface Context {
  print: Print;
  /** The exit code: 0 when the check held, 1 when it did not. */
  code: number;
}

function withEndpoint(cmd: Command): Command {
  return cmd.addOption(new Option('--endpoint <url>', ENDPOINT_HELP).argParser(endpointUrl));
}

const endpointOf = (options: { endpoint?: string }) => options.endpoint ?? endpointUrl(process.env.CHAOS_ENDPOINT || localstack.endpoint);

function clients(endpoint: string) {
  const target = new AppClient(endpoint, { maxAttempts: 1 });
  const lambda = new LambdaClient({ region, endpoint, credentials: { accessKeyId: localstack.accessKey, secretAccessKey: localstack.secretKey } });
  const destroy = () => {
    target.dynamo.destroy();
    target.sqs.destroy();
    lambda.destroy();
  };
  return { target, lambda, destroy };
}

/** Runs `body` with clients for the endpoint; an error becomes a ProbeError naming `what` (exit 2). */
async function using<T>(options: { endpoint?: string }, what: string, body: (c: ReturnType<typeof clients>, endpoint: string) => Promise<T>): Promise<T> {
  const endpoint = endpointOf(options);
  const c = clients(endpoint);
  try {
    return await body(c, endpoint);
  } catch (error) {
    throw probeError(error, what, endpoint);
  } finally {
    c.destroy();
  }
}

const report = (context: Context, output: object, held: boolean) => {
  context.print(JSON.stringify(output));
  context.code = held ? 0 : 1;
};

/** Exactly one of two flags, as `--off|--on`. */
function oneOf<T extends string>(options: Record<string, unknown>, flags: Record<T, string>, name: string): T {
  const given = (Object.keys(flags) as T[]).filter((key) => options[key] === true);
  const [only] = given;
  if (only === undefined || given.length > 1) {
    const listed = Object.values(flags).join(' or ');
    throw new UsageError(`${name} needs exactly one of ${listed}${given.length > 1 ? ', not both' : ''} (see ${name} --help)`);
  }
  return only;
}

/** The command line, built afresh for each run so tests can call it again and again. */
function program(context: Context): Command {
  const { print } = context;
  const probe = command(
    'node --import tsx scripts/probe.ts',
    'Probes and actions for the experiments: each prints one JSON line; exit 0 the check held, 1 it did not, 2 a wrong command line or the target could not be read.',
    print,
  )
    .usage('<command> [options]')
    .helpCommand('help [command]', 'show help for a command')
    .addHelpText(
      'after',
      `
As a Chaos Toolkit process provider (tolerance 0: exit code 0):
  {"type": "process", "path": "node", "timeout": 120,
   "arguments": ["--import", "tsx", "scripts/probe.ts", "write", "--endpoint", "\${endpoint}", "--state", "\${state_file}", "--products", "5"]}`,
    );

  withEndpoint(
    probe
      .command('write')
      .description('POST products <prefix>-1..N in parallel, each --versions times in order, and record every answer in the state file')
      .requiredOption('--state <file>', 'the state file: one JSON line per write is appended (created if missing)')
      .requiredOption('--products <n>', 'products to write, in parallel', int(1, 10_000))
      .addOption(new Option('--versions <v>', 'writes per product, one after the other (names "<prefix>-<i> v<k>")').argParser(int(1, 1_000)).default(1))
      .addOption(new Option('--prefix <p>', 'product ids are <prefix>-<i>').argParser(prefix).default('ctk'))
      .addOption(
        new Option('--expect <statuses>', 'the statuses that pass, comma-separated (0: no answer)').argParser(statusList).default([200, 202], '200,202'),
      )
      .option('--expect-retry-after', 'also require a Retry-After header on every 503')
      .option('--expect-queued', 'also require at least one 202: the fault reached the product Lambda and a write was queued')
      .addOption(new Option('--within <s>', 'also require every answer within this many seconds').argParser(decimal(0, 3_600))),
  )
    .addHelpText(
      'after',
      `
Appends to the state file, per write: {"id","name","version","status","sentAt","answeredAt","retryAfter"}
(epoch ms; status 0 when no answer came; retryAfter the header as sent, or null), and "activity",
the experiment activity that ran the probe, when $${ACTIVITY_ENV} names it (the runner sets it).
Prints {"sent","statuses":{"200":n,...},"unexpected":n} (and "missingRetryAfter" with --expect-retry-after,
"slow" with --within).
Exit 0 when every status is expected (and, with --expect-retry-after, every 503 has Retry-After; with
--expect-queued, at least one answer is 202; with --within, every answer came in time).`,
    )
    .action(
      async (options: {
        state: string;
        products: number;
        versions: number;
        prefix: string;
        expect: number[];
        expectRetryAfter?: boolean;
        expectQueued?: boolean;
        within?: number;
        endpoint?: string;
      }) => {
        const activity = process.env[ACTIVITY_ENV];
        const endpoint = endpointOf(options);
        const { summary, held } = await writeProducts({
          apiUrl: new AppClient(endpoint).apiUrl,
          state: options.state,
          products: options.products,
          versions: options.versions,
          prefix: options.prefix,
          expect: options.expect,
          expectRetryAfter: options.expectRetryAfter ?? false,
          expectQueued: options.expectQueued ?? false,
          ...(options.within === undefined ? {} : { withinMs: seconds(options.within) }),
          ...(activity ? { activity } : {}),
        }).catch((error: unknown) => {
          throw probeError(error, 'the product API', endpoint);
        });
        report(context, summary, held);
      },
    );

  withEndpoint(
    probe
      .command('writes-hold')
      .description('check that every product accepted (200 or 202) in the state file holds its newest accepted write in the table')
      .requiredOption('--state <file>', 'the state file the write command appended to')
      .addOption(new Option('--within <s>', 'seconds to keep polling the table (every 250 ms) before failing').argParser(decimal(0, 3_600)).default(30)),
  )
    .addHelpText(
      'after',
      `
Prints {"accepted","holding","pending","refusedInTable"}: products with an accepted write, those
holding it (or a newer write), those not yet, and products whose every write was refused (no 2xx)
that are in the table all the same with a value from this run. A value an earlier run left under
the same name does not count (the table's updatedAt must be from after the write was sent).
Exit 0 when all hold and refusedInTable is 0 within --within seconds.`,
    )
    .action(async (options: { state: string; within: number; endpoint?: string }) => {
      const records = readRecords(options.state);
      await using(options, `DynamoDB (table ${names.table})`, async ({ target }) => {
        const result = await writesHold(records, (signal) => target.products('', signal), seconds(options.within));
        if (!result.summary) throw result.error;
        report(context, result.summary, result.held);
      });
    });

  withEndpoint(
    probe
      .command('queues')
      .description(`check the depths of ${names.queue} and ${deadLetterQueues.join(', ')} (visible + in flight + delayed) against bounds`)
      .addOption(
        new Option('--within <s>', 'seconds to keep polling (every 250 ms) until the bounds hold; 0 reads once').argParser(decimal(0, 3_600)).default(0),
      )
      .option('--queue-max <n>', `at most this many messages in ${names.queue}`, int(0))
      .option('--queue-min <n>', `at least this many messages in ${names.queue}`, int(0))
      .option('--dlq-max <n>', `at most this many messages in ${names.deadLetterQueue}`, int(0)),
  )
    .addHelpText('after', '\nPrints {"queue","dlq"} (the last reading). Exit 0 when every bound given holds (no bound: always).')
    .action(async (options: { within: number; queueMax?: number; queueMin?: number; dlqMax?: number; endpoint?: string }) => {
      await using(options, 'SQS', async ({ target }) => {
        const read = async (signal: AbortSignal) => {
          const [queue, ...dlqs] = await Promise.all([names.queue, ...deadLetterQueues].map((name) => target.queueDepth(name, signal)));
          return { queue: queue ?? 0, dlq: dlqs.reduce((sum, depth) => sum + depth, 0) };
        };
        const result = await queuesWithin(read, options, seconds(options.within));
        if (!result.depths) throw result.error;
        report(context, result.depths, result.held);
      });
    });

  withEndpoint(
    probe
      .command('fallback')
      .description(`switch ${names.productFunction}'s fallback to the queue off or on (lambda update-function-configuration)`)
      .option('--off', `set ${env.writeFallback}=off: a write DynamoDB fails is lost (API Gateway 502), as before the tutorial's fix`)
      .option('--on', `remove ${env.writeFallback}, restoring the deployed environment exactly`),
  )
    .addHelpText(
      'after',
      '\nReads the configuration, merges the environment, updates it and waits until LastUpdateStatus is\nSuccessful (nothing is updated when it is already so). Prints {"function","fallback"}.',
    )
    .action(async (options: { off?: boolean; on?: boolean; endpoint?: string }) => {
      const fallback = oneOf(options, { off: '--off', on: '--on' }, 'fallback');
      await using(options, `Lambda (${names.productFunction})`, async ({ lambda }) => report(context, await setFallback(lambda, fallback), true));
    });

  withEndpoint(
    probe
      .command('retry-mapping')
      .description(`disable or enable the event source mapping of ${names.retryFunction} on ${names.queue}`)
      .option('--disable', 'stop the retry function from receiving: queued writes stay in the queue')
      .option('--enable', 'start it again'),
  )
    .addHelpText('after', '\nUpdates the mapping and waits until its State is Disabled or Enabled. Prints {"uuid","state"}.')
    .action(async (options: { disable?: boolean; enable?: boolean; endpoint?: string }) => {
      const wanted = oneOf(options, { disable: '--disable', enable: '--enable' }, 'retry-mapping');
      await using(options, `Lambda (${names.retryFunction}'s event source mapping)`, async ({ lambda }) =>
        report(context, await setRetryMapping(lambda, wanted === 'enable'), true),
      );
    });

  return probe;
}

/**
 * Runs the probe CLI on `argv` (the user's arguments) and resolves with its exit code: 0 the
 * check held, 1 it did not. A wrong command line throws a UsageError, a reading that could not
 * be taken a ProbeError (one too: exit 2). `print` receives the JSON line (and any help).
 */
export async function runProbe(argv: string[], print: Print = console.log): Promise<number> {
  const context: Context = { print, code: 0 };
  const cmd = program(context);
  if (argv.length === 0) throw new UsageError('Name a command: write, writes-hold, queues, fallback or retry-mapping (see --help)');
  await parse(cmd, argv);
  return context.code;
}

export { ProbeError };
