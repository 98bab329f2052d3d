/**
 * `npm run demo`: starts the offline runtime, runs the chaos experiment against it, prints the
 * summary and where the report is, and stops the runtime. Needs nothing but Node.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startRuntime } from '../local/runtime';
import { runExperimentCli } from './experiment';

// The deployed functions run on nodejs22.x; the SDK's notice about this machine's Node 20 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<number> {
  const started = Date.now();
  const logs: string[] = [];
  console.log('Starting the offline runtime (DynamoDB, SNS, SQS, both Lambdas, the Chaos API)...');
  const runtime = await startRuntime({ port: 0, log: (line) => logs.push(`${new Date().toISOString()} ${line}`) });
  console.log(`Ready on ${runtime.url} in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  try {
    const outcome = await runExperimentCli(['--endpoint', runtime.url, ...process.argv.slice(2)], console.log, controller.signal);
    if (!outcome) return 0;
    writeFileSync(path.join(outcome.reportDir, 'runtime.log'), `${logs.join('\n')}\n`);
    console.log(`The runtime's log (every AWS call, the Lambdas' logs) is in ${path.join(outcome.reportDir, 'runtime.log')}.`);
    console.log(`Demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    return outcome.journal.summary.held ? 0 : 1;
  } finally {
    await runtime.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
