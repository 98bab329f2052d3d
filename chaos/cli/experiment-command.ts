/**
 * `npm run experiment -- [files...] | --all`: runs Chaos Toolkit experiment files against a
 * running target (the offline runtime or LocalStack), with no file the tutorial's
 * (experiments/01-tutorial.json); see chaos/runner/cli.ts.
 */
import '../../shared/cli/quiet-sdk';
import path from 'node:path';
import { awsLimits, localstack, tutorialFault } from '#spec';
import { command, type Command, int, onStopSignal, parse, UsageError } from '../../shared/cli/command';
import { type Configuration } from '../runner/configuration';
import { EXPERIMENTS_DIR, libraryFiles, parseVar, REPORTS_ROOT, runFiles } from '../runner/cli';

export { REPORTS_ROOT };

/** What `npm run experiment` runs without a file, and what `npm run demo` runs. */
export const TUTORIAL = path.join(EXPERIMENTS_DIR, '01-tutorial.json');

export const tutorialHelp = `The tutorial (${TUTORIAL}): its hypothesis, checked before and after the method: writes are
answered 200 (stored) or 202 (queued) within API Gateway's ${awsLimits.apiGatewayIntegrationTimeoutMs / 1000} s, every accepted product holds its
newest value in the table, and the queue and DLQ are empty (within settle_seconds). The method:
  outage     DynamoDB fails ${Math.round(tutorialFault.probability * 100)}% of calls (${tutorialFault.error.statusCode} ${tutorialFault.error.code}) while products are written
             versions times each, then the outage is ended
  healthy    once the retry path has drained the queue and the circuit breakers' cooldown is
             over, writes are stored directly again (200)
  latency    latency_ms on every AWS call, under which the hypothesis is checked again
The rollbacks remove the latency and the fault rule, even after a failure or Ctrl-C, and leave
other rules alone. The report says, per activity, how many writes were sent, stored (200), queued
(202) or failed and their p50/p95/max times, and where each accepted product ended: holding its
newest value, not yet applied (still in a queue), dead-lettered or lost.`;

export const filesHelp = `Experiment files (Chaos Toolkit format; the library is in ${EXPERIMENTS_DIR}/):
  npm run experiment -- ${EXPERIMENTS_DIR}/01-tutorial.json [more files]   run these, in order
  npm run experiment -- --all                                  run every ${EXPERIMENTS_DIR}/*.json, in name order
  Each run writes ${REPORTS_ROOT}/<time>-<file>/ (journal.json, writes.jsonl, chart.svg, report.md,
  report.html, junit.xml); several files or --all write ${REPORTS_ROOT}/<time>-library/ with a folder
  per run and summary.md; --report-dir names that folder instead. ${REPORTS_ROOT}/latest points at the
  newest, ${REPORTS_ROOT}/index.html lists them all.
  The runner sets the configuration values endpoint, state_file (the run's writes.jsonl) and seed.
  On the offline runtime, a fault rule with a probability below 1 gets a seed derived from the
  run's seed (--seed replays it); on LocalStack durationMs and seed are stripped and the runner
  deletes the rule when its duration is over. An experiment that needs the offline runtime
  (extensions: requires ["offline"], /_offline/ endpoints, jitterMs or services effects) is
  skipped elsewhere, with the reason.
  Waits follow the target's own timings (its visibility timeout, backoff cap, breaker cooldown
  and redrive threshold, read first): a file's default settle_seconds is raised to how long the
  target may take to settle, breaker_cooldown_s is the target's breaker cooldown, an experiment
  whose declared need (extensions: outlasts) the target cannot meet in a few minutes is skipped
  with the reason, and before and after each run the runner waits, as long as those timings
  allow, for the queues to empty and no fault or effect to be left. What a run left is reported
  against it; if it does not settle, the next experiments are skipped, naming it.
  While an activity runs, a live line says how many writes were answered, how many accepted
  products hold their newest value, and the queue and DLQ depths.
  Exit codes: 0 held (or skipped); 1 deviated, the hypothesis failed before the method, or the
  run left the target unsettled;
  2 aborted (a tool or target error, a safeguard), a wrong command line or an invalid file;
  130 interrupted (Ctrl-C: rollbacks run, the partial journal and report are written).
  With --all: 0 every experiment ended as expected (skipped ones count), 1 one did not,
  2 one aborted, 130 interrupted (the rest are not started).`;

const collectVar = (raw: string, previous: Configuration | undefined) => parseVar(raw, previous);

/** The options the experiment and the demo share (the demo picks its own target and file). */
export function runOptions(cmd: Command): Command {
  return cmd
    .option('--seed <n>', "the run's seed, to replay a run's seeded fault decisions (default random)", int(0, 2 ** 32 - 1))
    .option('--report-dir <dir>', `where to write the report (default ${REPORTS_ROOT}/<time>-<file>, and ${REPORTS_ROOT}/latest then points at it)`);
}

export function experimentCommand(print?: (text: string) => void): Command {
  const cmd = command(
    'npm run experiment --',
    `Runs Chaos Toolkit experiment files against a running target (the offline runtime started with npm start, or LocalStack) and writes a report per run; with no file, ${TUTORIAL}.`,
    print,
  )
    .argument('[files...]', `Chaos Toolkit experiment files to run, in order (default ${TUTORIAL})`)
    .option('--endpoint <url>', `the target (default $CHAOS_ENDPOINT or ${localstack.endpoint})`)
    .option('--all', `run every ${EXPERIMENTS_DIR}/*.json, in name order`)
    .option('--var <key=value>', 'set a configuration value of the experiments; a number or true/false is typed (repeatable)', collectVar);
  return runOptions(cmd).addHelpText(
    'after',
    `\n${tutorialHelp}\n\n${filesHelp}\n\nExamples:\n  npm run experiment -- --endpoint ${localstack.endpoint}\n  npm run experiment -- ${EXPERIMENTS_DIR}/01-tutorial.json --seed 42 --var products=10\n  npm run experiment -- --all --endpoint ${localstack.endpoint}`,
  );
}

/** What the runner is asked to run: the files given, every file with --all, or the tutorial. */
export function filesRequest(cmd: Command): { files: string[]; all: boolean; seed?: number; vars: Configuration; reportDir?: string } {
  const options = cmd.opts<{ all?: boolean; seed?: number; var?: Configuration; reportDir?: string }>();
  if (cmd.args.length > 0 && options.all) throw new UsageError('give experiment files or --all, not both (see --help)');
  return {
    files: options.all ? libraryFiles() : cmd.args.length > 0 ? cmd.args : [TUTORIAL],
    all: options.all === true,
    vars: options.var ?? {},
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.reportDir === undefined ? {} : { reportDir: options.reportDir }),
  };
}

/**
 * Ctrl-C (or SIGTERM): the first aborts the run, which then runs its rollbacks and writes its
 * partial journal and report; a second one exits at once.
 */
export function interruptOnSigint(print: (line: string) => void = console.log): AbortController {
  const controller = new AbortController();
  onStopSignal(
    () => {
      print('\nCtrl-C: stopping; running the rollbacks, then writing the partial journal and report (Ctrl-C again to quit at once)...');
      controller.abort(new Error('Ctrl-C'));
    },
    () => {
      console.error('Second Ctrl-C: exiting now. The rollbacks may not have run: npm run chaos -- --help shows how to end faults and latency by hand.');
      process.exit(130);
    },
  );
  return controller;
}

/** Runs the command on `argv` (the user's arguments) and answers its exit code. */
export async function runExperimentCommand(argv: string[]): Promise<number> {
  const cmd = await parse(experimentCommand(), argv);
  if (!cmd) return 0;
  const { endpoint: given } = cmd.opts<{ endpoint?: string }>();
  const endpoint = given ?? process.env.CHAOS_ENDPOINT ?? localstack.endpoint;
  const { files, all, ...settings } = filesRequest(cmd);
  const controller = interruptOnSigint();
  return runFiles(files, all || files.length > 1, { endpoint, ...settings }, { signal: controller.signal });
}
