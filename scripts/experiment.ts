/**
 * `npm run experiment -- --endpoint URL`: the tutorial as an automated game day against a running
 * target (the offline runtime or LocalStack). Exit code 0 only if every hypothesis held.
 */
import './lib/quiet-sdk';
import path from 'node:path';
import { awsLimits, localstack, timing, tutorialFault } from '#spec';
import { command, type Command, int, main, onStopSignal, parse } from './lib/cli';
import { Experiment, type Journal, type ProgressEvent } from './lib/experiment';
import { progress, type Progress } from './lib/progress';
import { linkLatest, summaryText, writeReport } from './lib/report';

/** Where reports go unless --report-dir says otherwise; `latest` inside points at the newest. */
export const REPORTS_ROOT = 'reports';

export interface ExperimentSettings {
  endpoint: string;
  products: number;
  versions: number;
  latencyMs: number;
  recoveryTimeout: number;
  breakerCooldownMs: number;
  reportDir?: string;
}

export interface RunOutcome {
  journal: Journal;
  reportDir: string;
  /** 0 every hypothesis held; 1 one failed, or the run aborted; 130 interrupted. */
  code: number;
}

/** The options the experiment and the demo share (the demo picks its own target). */
export function experimentOptions(cmd: Command): Command {
  return cmd
    .option('--products <n>', 'products written during the outage, in parallel', int(1, 100), 10)
    .option('--versions <n>', 'writes per product during the outage, in order', int(1, 100), 3)
    .option('--latency-ms <ms>', 'latency added to every AWS call in the last step', int(0, 600_000), 5000)
    .option('--recovery-timeout <s>', 'seconds the table may take to catch up after the outage', int(1, 3600), 60)
    .option('--report-dir <dir>', `where to write the report (default ${REPORTS_ROOT}/<time>, and ${REPORTS_ROOT}/latest then points at it)`);
}

export const stepsHelp = `Steps, each with a hypothesis checked by the experiment:
  preflight  the API stores a product (200) and reads it back; if not, nothing is injected
  outage     DynamoDB fails ${Math.round(tutorialFault.probability * 100)}% of calls (${tutorialFault.error.statusCode} ${tutorialFault.error.code}): every write is accepted
             (200 stored or 202 queued), some are queued, none fails
  recovery   after the outage, every accepted product holds its newest value in the table and
             the queue and DLQ are empty, within --recovery-timeout
  latency    after the breakers' cooldown and a check that writes are stored directly again,
             --latency-ms on every AWS call: the API still answers 200 or 202 within ${awsLimits.apiGatewayIntegrationTimeoutMs / 1000} s, and
             any write queued meanwhile reaches the table once the latency is removed

The experiment removes every fault and latency it added, even on failure or Ctrl-C, and leaves
other rules alone. The report folder holds report.md, chart.svg and journal.json.

Exit codes: 0 every hypothesis held; 1 one failed, or a target or tool error aborted the run;
2 a wrong command line; 130 interrupted (Ctrl-C; the partial report is still written).`;

export function experimentCommand(print?: (text: string) => void): Command {
  const cmd = command(
    'npm run experiment --',
    'Runs the tutorial as a chaos experiment against a running target (the offline runtime started with npm start, or LocalStack) and writes a report.',
    print,
  ).option('--endpoint <url>', `the target (default $CHAOS_ENDPOINT or ${localstack.endpoint})`);
  return experimentOptions(cmd)
    .option(
      '--breaker-cooldown-ms <ms>',
      "how long the target's circuit breakers stay open; the latency step waits this long after the outage",
      int(0, 600_000),
      timing.breakerCooldownMs,
    )
    .addHelpText('after', `\n${stepsHelp}\n\nExample: npm run experiment -- --endpoint ${localstack.endpoint} --products 5`);
}

/**
 * Progress suited to where stdout goes: on a terminal, the waiting state redrawn in place; in a
 * pipe or a file, a line every few seconds (and the final state), never a line per event.
 */
export function progressPrinter(print: (line: string) => void): (event: ProgressEvent) => void {
  let text = '';
  let shown: Progress | undefined;
  const settle = () => {
    shown?.done();
    shown = undefined;
  };
  return (event) => {
    if (event.kind === 'wait') {
      text = event.text;
      shown ??= progress(() => `  … ${text}`);
      return;
    }
    settle();
    if (event.kind === 'step') print(`▶ ${event.step}: ${event.text}`);
    else if (event.kind === 'note') print(`  · ${event.text}`);
    else print(`  ${{ held: '✔ held', failed: '✘ FAILED', interrupted: '■ interrupted', aborted: '! aborted' }[event.step.verdict]}: ${event.step.details}`);
  };
}

export interface RunIo {
  print?: (line: string) => void;
  signal?: AbortSignal;
  /** Extra files for the report folder, asked for once the run is over. */
  attachments?: () => Record<string, string>;
}

export async function runExperiment(settings: ExperimentSettings, { print = console.log, signal, attachments }: RunIo = {}): Promise<RunOutcome> {
  const experiment = new Experiment({
    endpoint: settings.endpoint,
    ids: settings.products,
    versions: settings.versions,
    latencyMs: settings.latencyMs,
    recoveryTimeoutMs: settings.recoveryTimeout * 1000,
    breakerCooldownMs: settings.breakerCooldownMs,
    progress: progressPrinter(print),
    ...(signal ? { signal } : {}),
  });
  print(`Chaos experiment ${experiment.runId} against ${settings.endpoint}\n`);
  const journal = await experiment.run();
  const reportDir = settings.reportDir ?? path.join(REPORTS_ROOT, journal.startedAt.replace(/[:.]/g, '-'));
  await writeReport(reportDir, journal, attachments?.() ?? {});
  print(`\n${summaryText(journal)}`);
  print(`Report: ${path.join(reportDir, 'report.md')} (chart.svg, journal.json beside it)`);
  // `latest` only where the reports go by default: a --report-dir elsewhere leaves its parent alone.
  if (path.resolve(path.dirname(reportDir)) === path.resolve(REPORTS_ROOT)) {
    const how = linkLatest(REPORTS_ROOT, reportDir);
    print(
      how === 'symlink'
        ? `${path.join(REPORTS_ROOT, 'latest')} now points at it.`
        : `${path.join(REPORTS_ROOT, 'latest')} is now a copy of it (symlinks cannot be made here).`,
    );
  }
  const code = journal.status === 'interrupted' ? 130 : journal.summary.held ? 0 : 1;
  return { journal, reportDir, code };
}

/**
 * Ctrl-C (or SIGTERM): the first aborts the run, which then removes what it added and writes its
 * partial report; a second one exits at once.
 */
export function interruptOnSigint(print: (line: string) => void = console.log): AbortController {
  const controller = new AbortController();
  onStopSignal(
    () => {
      print('\nCtrl-C: stopping; removing the faults and latency this run added, then writing the partial report (Ctrl-C again to quit at once)...');
      controller.abort();
    },
    () => {
      console.error('Second Ctrl-C: exiting now. Faults or latency this run added may still be active: npm run chaos -- --help shows how to end them.');
      process.exit(130);
    },
  );
  return controller;
}

async function run(argv: string[]): Promise<number> {
  const cmd = await parse(experimentCommand(), argv);
  if (!cmd) return 0;
  const options = cmd.opts<Omit<ExperimentSettings, 'endpoint'> & { endpoint?: string }>();
  const endpoint = options.endpoint ?? process.env.CHAOS_ENDPOINT ?? localstack.endpoint;
  const controller = interruptOnSigint();
  return (await runExperiment({ ...options, endpoint }, { signal: controller.signal })).code;
}

if (require.main === module) main(() => run(process.argv.slice(2)));
