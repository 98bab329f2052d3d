/**
 * `npm run demo`: starts the offline runtime, runs the chaos experiment against it, prints the
 * summary and where the report is, and stops the runtime. Needs nothing but Node.
 */
import '../../shared/cli/quiet-sdk';
import path from 'node:path';
import { localstack, timing } from '#spec';
import { command, type Command, parse } from '../../shared/cli/command';
import { experimentOptions, type ExperimentSettings, interruptOnSigint, REPORTS_ROOT, runExperiment, stepsHelp } from './experiment-command';

export function demoCommand(print?: (text: string) => void): Command {
  return experimentOptions(
    command(
      'npm run demo --',
      'Starts the offline runtime in this process (DynamoDB, SNS, SQS, both Lambdas, API Gateway and the Chaos API, with nothing but Node), runs the chaos experiment against it, prints the verdicts and a summary, writes a report and stops the runtime. About 20 s.',
      print,
    ),
  )
    .option('--no-build', 'run the Lambda bundles already in dist/ instead of bundling them first')
    .addHelpText(
      'after',
      `\n${stepsHelp}\n\nThe report folder also holds runtime.log (every AWS call, the Lambdas' logs).\nTo run the same experiment against a target you started (npm start, or LocalStack), use npm run experiment (see its --help).`,
    );
}

/** What to try after the demo: 2 to 4 lines. */
export function nextSteps(reportDir: string): string[] {
  const report = path.resolve(path.dirname(reportDir)) === path.resolve(REPORTS_ROOT) ? path.join(REPORTS_ROOT, 'latest') : reportDir;
  return [
    'Next:',
    `  read ${path.join(report, 'report.md')} and its chart, ${path.join(report, 'chart.svg')}`,
    `  npm start (the runtime on :${localstack.port}), then npm run chaos -- --help to cause outages and latency by hand while you curl the API`,
    `  npm run experiment -- --endpoint ${localstack.endpoint} runs this experiment against npm start or LocalStack (its Chaos API needs an Enterprise licence)`,
  ];
}

/** An offline runtime the demo runs against, started by the entry point (scripts/demo.ts: in a worker thread). */
export type StartRuntime = (log: (line: string) => void, options: { build: boolean }) => Promise<{ url: string; stop(): Promise<void> }>;

/** Runs the command on `argv` (the user's arguments) and answers its exit code. */
export async function runDemoCommand(argv: string[], startRuntime: StartRuntime): Promise<number> {
  const cmd = await parse(demoCommand(), argv);
  if (!cmd) return 0;
  const { build, ...options } = cmd.opts<Omit<ExperimentSettings, 'endpoint' | 'breakerCooldownMs'> & { build: boolean }>();
  const started = Date.now();
  const logs: string[] = [];
  const controller = interruptOnSigint();
  console.log('Starting the offline runtime (DynamoDB, SNS, SQS, both Lambdas, the Chaos API)...');
  const runtime = await startRuntime((line) => logs.push(`${new Date().toISOString()} ${line}`), { build });
  try {
    if (controller.signal.aborted) {
      console.log('Interrupted before the experiment started: nothing was injected, no report written.');
      return 130;
    }
    console.log(`Ready on ${runtime.url} in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
    // The runtime uses the spec's timings, so its breakers' cooldown is the spec's, the experiment's default.
    const outcome = await runExperiment(
      { ...options, endpoint: runtime.url, breakerCooldownMs: timing.breakerCooldownMs },
      { signal: controller.signal, attachments: () => ({ 'runtime.log': `${logs.join('\n')}\n` }) },
    );
    console.log(`The runtime's log (every AWS call, the Lambdas' logs) is in ${path.join(outcome.reportDir, 'runtime.log')}.`);
    console.log(`Demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
    if (outcome.code !== 130) console.log(nextSteps(outcome.reportDir).join('\n'));
    return outcome.code;
  } finally {
    await runtime.stop();
  }
}
