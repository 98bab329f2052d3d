/**
 * `npm start`: the offline runtime in the foreground, on 127.0.0.1:4566 unless told otherwise.
 * Ctrl-C (or SIGTERM) stops it cleanly.
 */
import { parseArgs } from 'node:util';

// The deployed functions run on nodejs22.x; the SDK's notice about this machine's Node 20 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { localstack, names } from '../infra/spec';
import { startRuntime } from './runtime';

const usage = `Usage: npm start -- [--port N] [--quiet] [--no-build]

Runs the product API, DynamoDB, SNS, SQS, both Lambdas and the LocalStack Chaos API in one
process on 127.0.0.1, with no Docker and no AWS account.

  --port N   port to listen on (default 4566, or $OFFLINE_PORT)
  --quiet    do not print a line per AWS call
  --no-build run the Lambda bundles already in dist/ instead of bundling them first
  --help     show this help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const rawPort = values.port ?? process.env.OFFLINE_PORT ?? '4566';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a whole number from 0 to 65535, got "${rawPort}"`);

  const started = performance.now();
  const log = (line: string) => {
    if (!(values.quiet && line.startsWith('AWS '))) console.log(`${new Date().toISOString()} ${line}`);
  };
  const runtime = await startRuntime({ port, log, build: !values['no-build'] });
  const base = runtime.url.replace('127.0.0.1', 'localhost');
  console.log(`
Offline runtime ready in ${Math.round(performance.now() - started)} ms on ${runtime.url}

  Product API   ${localstack.apiUrl.replace(':4566', `:${runtime.port}`)}
                ${base}/_aws/execute-api/${names.restApiId}/${names.stage}/${names.resource}   (no DNS needed)
  Chaos API     ${base}/_localstack/chaos/faults   and   /_localstack/chaos/effects
  AWS CLI       aws --endpoint-url ${base} dynamodb scan --table-name ${names.table}

Press Ctrl-C to stop.
`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the offline runtime...`);
    runtime.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`Could not start the offline runtime: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
