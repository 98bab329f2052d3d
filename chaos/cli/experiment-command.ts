/**
 * `npm run experiment -- --endpoint URL`: the tutorial as an automated game day against a running
 * target (the offline runtime or LocalStack). Exit code 0 only if every hypothesis held.
 *
 * `npm run experiment -- <files...> | --all`: Chaos Toolkit experiment files instead (see
 * chaos/runner/cli.ts); the built-in game day's own options are refused with them.
 */
import '../../shared/cli/quiet-sdk';
import path from 'node:path';
import { awsLimits, localstack, timing, tutorialFault } from '#spec';
import { command, type Command, int, onStopSignal, parse, UsageError } from '../../shared/cli/command';
import { type Configuration } from '../runner/configuration';
import { EXPERIMENTS_DIR, libraryFiles, parseVar, REPORTS_ROOT, runFiles } from '../runner/cli';
import { Experiment, type Journal, type ProgressEvent } from '../../scripts/lib/experiment';
import { progress, type Progress } from '../../shared/cli/progress';
import { linkLatest } from '../report/latest';
import { summaryText, writeReport } from '../../scripts/lib/report';

export { REPORTS_ROOT };

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
  /** 0 every hypothesis held; 1 one failed; 2 a target or tool error aborted the run; 130 interrupted. */
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

Exit codes: 0 every hypothesis held; 1 one failed; 2 a target or tool error aborted the run, or
a wrong command line; 130 interrupted (Ctrl-C; the partial report is still written).`;

/** The built-in game day's own options: refused with experiment files. */
export const BUILT_IN_OPTIONS = ['products', 'versions', 'latencyMs', 'recoveryTimeout', 'breakerCooldownMs'] as const;
/** Options only experiment files take. */
export const FILE_OPTIONS = ['var', 'seed'] as const;

export const filesHelp = `Experiment files (Chaos Toolkit format; the library is in ${EXPERIMENTS_DIR}/):
  npm run experiment -- ${EXPERIMENTS_DIR}/01-tutorial.json [more files]   run these, in order
  npm run experiment -- --all                                  run every ${EXPERIMENTS_DIR}/*.json, in name order
  Each run writes ${REPORTS_ROOT}/<time>-<file>/ (journal.json, writes.jsonl, report.md, report.html,
  junit.xml); several files or --all write ${REPORTS_ROOT}/<time>-library/ with a folder per run and
  summary.md; --report-dir names that folder instead. ${REPORTS_ROOT}/latest points at the newest,
  ${REPORTS_ROOT}/index.html lists them all.
  The runner sets the configuration values endpoint, state_file (the run's writes.jsonl) and seed.
  On the offline runtime, a fault rule with a probability below 1 gets a seed derived from the
  run's seed (--seed replays it); on LocalStack durationMs and seed are stripped and the runner
  deletes the rule when its duration is over. An experiment that needs the offline runtime
  (extensions: requires ["offline"], /_offline/ endpoints, jitterMs or services effects) is
  skipped elsewhere, with the reason.
  Waits follow the target's own timings (its visibility timeout, backoff cap, breaker cooldown
  and redrive threshold, read first): a file's default settle_seconds is raised to how long the
  target may take to settle, an experiment whose declared need (extensions: outlasts) the target
  cannot meet in a few minutes is skipped with the reason, and before and after each run the
  runner waits, as long as those timings allow, for the queues to empty and no fault or effect
  to be left. What a run left is reported against it; if it does not settle, the next
  experiments are skipped, naming it.
  Exit codes: 0 held (or skipped); 1 deviated, the hypothesis failed before the method, or the
  run left the target unsettled;
  2 aborted (a tool or target error, a safeguard), a wrong command line or an invalid file;
  130 interrupted (Ctrl-C: rollbacks run, the partial journal and report are written).
  With --all: 0 every experiment ended as expected (skipped ones count), 1 one did not,
  2 one aborted, 130 interrupted (the rest are not started).`;

const collectVar = (raw: string, previous: Configuration | undefined) => parseVar(raw, previous);

export function experimentCommand(print?: (text: string) => void): Command {
  const cmd = command(
    'npm run experiment --',
    'Runs the tutorial as a chaos experiment against a running target (the offline runtime started with npm start, or LocalStack) and writes a report; given experiment files (or --all), runs those instead.',
    print,
  )
    .argument('[files...]', 'Chaos Toolkit experiment files to run, in order (without them: the built-in game day)')
    .option('--endpoint <url>', `the target (default $CHAOS_ENDPOINT or ${localstack.endpoint})`);
  return experimentOptions(cmd)
    .option(
      '--breaker-cooldown-ms <ms>',
      "how long the target's circuit breakers stay open; the latency step waits this long after the outage",
      int(0, 600_000),
      timing.breakerCooldownMs,
    )
    .option('--all', `run every ${EXPERIMENTS_DIR}/*.json, in name order (experiment files only)`)
    .option(
      '--var <key=value>',
      'set a configuration value of the experiments; a number or true/false is typed (repeatable; experiment files only)',
      collectVar,
    )
    .option('--seed <n>', "the run's seed, to replay a run's seeded fault decisions (experiment files only; default random)", int(0, 2 ** 32 - 1))
    .addHelpText(
      'after',
      `\nThe built-in game day (no file):\n${stepsHelp}\n\n${filesHelp}\n\nExamples:\n  npm run experiment -- --endpoint ${localstack.endpoint} --products 5\n  npm run experiment -- ${EXPERIMENTS_DIR}/01-tutorial.json --seed 42\n  npm run experiment -- --all --endpoint ${localstack.endpoint}`,
    );
}

/** The options of the CTK runner, after checking the command line fits it; undefined: the built-in game day. */
export function filesRequest(cmd: Command): { files: string[]; all: boolean; seed?: number; vars: Configuration; reportDir?: string } | undefined {
  const files = cmd.args;
  const options = cmd.opts<{ all?: boolean; seed?: number; var?: Configuration; reportDir?: string }>();
  const given = (name: string) => ['cli', 'env'].includes(cmd.getOptionValueSource(name) ?? '');
  const flag = (name: string) => `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
  if (files.length === 0 && !options.all) {
    const only = FILE_OPTIONS.filter(given);
    if (only.length > 0) throw new UsageError(`${only.map(flag).join(', ')} only apply to experiment files or --all (see --help)`);
    return undefined;
  }
  if (files.length > 0 && options.all) throw new UsageError('give experiment files or --all, not both (see --help)');
  const builtIn = BUILT_IN_OPTIONS.filter(given);
  if (builtIn.length > 0) throw new UsageError(`${builtIn.map(flag).join(', ')} belong to the built-in game day, not to experiment files (see --help)`);
  return {
    files: options.all ? libraryFiles() : files,
    all: options.all === true,
    vars: options.var ?? {},
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.reportDir === undefined ? {} : { reportDir: options.reportDir }),
  };
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
  // The same codes as a Chaos Toolkit run (chaos/runner/journal.ts exitCode): a target or tool error is 2, not a verdict.
  const code = journal.status === 'interrupted' ? 130 : journal.status === 'aborted' ? 2 : journal.summary.held ? 0 : 1;
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

/** Runs the command on `argv` (the user's arguments) and answers its exit code. */
export async function runExperimentCommand(argv: string[]): Promise<number> {
  const cmd = await parse(experimentCommand(), argv);
  if (!cmd) return 0;
  const options = cmd.opts<Omit<ExperimentSettings, 'endpoint'> & { endpoint?: string }>();
  const endpoint = options.endpoint ?? process.env.CHAOS_ENDPOINT ?? localstack.endpoint;
  const files = filesRequest(cmd);
  if (files) {
    const controller = new AbortController();
    onStopSignal(
      () => {
        console.log('\nCtrl-C: stopping; running the rollbacks, then writing the partial journal and report (Ctrl-C again to quit at once)...');
        controller.abort(new Error('Ctrl-C'));
      },
      () => {
        console.error('Second Ctrl-C: exiting now. The rollbacks may not have run: npm run chaos -- --help shows how to end faults by hand.');
        process.exit(130);
      },
    );
    const { files: list, all, ...settings } = files;
    return runFiles(list, all || list.length > 1, { endpoint, ...settings }, { signal: controller.signal });
  }
  // (--all, --var and --seed are refused without files: filesRequest.)
  const controller = interruptOnSigint();
  try {
    return (await runExperiment({ ...options, endpoint }, { signal: controller.signal })).code;
  } catch (error) {
    // A target that cannot be reached at all: aborted before any step, exit 2 as any aborted run.
    console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}
