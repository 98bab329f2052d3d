/**
 * `npm run demo`: starts the offline runtime, runs the tutorial's experiment
 * (experiments/01-tutorial.json) against it as `npm run experiment` would, and stops the
 * runtime. Needs nothing but Node.
 */
import '../../shared/cli/quiet-sdk';
import path from 'node:path';
import { localstack } from '#spec';
import { command, type Command, int, parse } from '../../shared/cli/command';
import { runFiles } from '../runner/cli';
import { type Configuration } from '../runner/configuration';
import { interruptOnSigint, REPORTS_ROOT, runOptions, TUTORIAL, tutorialHelp } from './experiment-command';

/** The demo's options, each a configuration value of the tutorial's file (its default when not given). */
const VARS = { products: 'products', versions: 'versions', latencyMs: 'latency_ms', recoveryTimeout: 'settle_seconds' } as const;

export function demoCommand(print?: (text: string) => void): Command {
  return runOptions(
    command(
      'npm run demo --',
      `Starts the offline runtime in this process (DynamoDB, SNS, SQS, both Lambdas, API Gateway and the Chaos API, with nothing but Node), runs the tutorial's experiment (${TUTORIAL}) against it, prints the verdict and a summary, writes a report and stops the runtime. About a minute.`,
      print,
    )
      .option('--products <n>', 'products written during the outage, in parallel (default: the file’s, 5)', int(1, 100))
      .option('--versions <n>', 'writes per product during the outage, in order (default: the file’s, 3)', int(1, 100))
      .option('--latency-ms <ms>', 'latency added to every AWS call at the end (default: the file’s, 5000)', int(0, 600_000))
      .option(
        '--recovery-timeout <s>',
        "seconds the accepted writes may take to reach the table (default: the file's, raised to the runtime's settle bound)",
        int(1, 3600),
      ),
  )
    .option('--no-build', 'run the Lambda bundles already in dist/ instead of bundling them first')
    .addHelpText(
      'after',
      `\n${tutorialHelp}\n\nThe report folder also holds runtime.log (every AWS call, the Lambdas' logs).\nTo run the same experiment against a target you started (npm start, or LocalStack), use npm run experiment (see its --help).\n\nExit codes: 0 the hypothesis held; 1 it did not; 2 a target or tool error aborted the run, or a wrong command line; 130 interrupted (Ctrl-C; the rollbacks run and the partial report is written).`,
    );
}

/** The demo's options given on its command line, as the tutorial's configuration values. */
export function demoVars(options: Partial<Record<keyof typeof VARS, number>>): Configuration {
  return Object.fromEntries(
    Object.entries(VARS).flatMap(([option, name]) => {
      const value = options[option as keyof typeof VARS];
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

/** What to try after the demo: 2 to 4 lines. `reportDir`: the folder given with --report-dir, if any. */
export function nextSteps(reportDir?: string): string[] {
  const report = reportDir ?? path.join(REPORTS_ROOT, 'latest');
  return [
    'Next:',
    `  read ${path.join(report, 'report.html')} (or report.md) and its chart, ${path.join(report, 'chart.svg')}`,
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
  const { build, seed, reportDir } = cmd.opts<{ build: boolean; seed?: number; reportDir?: string }>();
  const vars = demoVars(cmd.opts());
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
    const code = await runFiles(
      [TUTORIAL],
      false,
      { endpoint: runtime.url, vars, ...(seed === undefined ? {} : { seed }), ...(reportDir === undefined ? {} : { reportDir }) },
      { signal: controller.signal, attachments: () => ({ 'runtime.log': `${logs.join('\n')}\n` }) },
    );
    console.log(`\nDemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
    if (code !== 130) console.log(nextSteps(reportDir).join('\n'));
    return code;
  } finally {
    await runtime.stop();
  }
}
