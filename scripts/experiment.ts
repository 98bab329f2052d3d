/**
 * `npm run experiment -- --endpoint URL`: the tutorial as an automated game day against a running
 * target (the offline runtime or LocalStack). Exit code 0 only if every hypothesis held.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { localstack } from '../infra/spec';
import { Experiment, type Journal, type ProgressEvent } from './lib/experiment';
import { summaryText, writeReport } from './lib/report';

const usage = `Usage: npm run experiment -- [options]

Runs the tutorial as an experiment against a running target and checks a hypothesis at each
step: preflight, a DynamoDB outage, recovery, latency. Removes every fault and effect it added,
even on failure or Ctrl-C. Writes a report folder (report.md, chart.svg, journal.json).

  --endpoint URL          the target (default $CHAOS_ENDPOINT or ${localstack.endpoint})
  --products N            products written during the outage (default 10)
  --versions N            writes per product, in order (default 3)
  --latency-ms MS         latency for the last step (default 5000)
  --recovery-timeout S    seconds the table may take to catch up (default 60)
  --report-dir DIR        where to write the report (default reports/<time>)
  --help                  show this help`;

export interface CliOutcome {
  journal: Journal;
  reportDir: string;
}

function positiveInt(raw: string | undefined, fallback: number, name: string, allowZero = false): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) throw new Error(`${name} must be a whole number${allowZero ? '' : ' above 0'}, got "${raw}"`);
  return value;
}

/** A one-line live status: rewritten in place on a terminal, printed only when it changes elsewhere. */
function progressPrinter(print: (line: string) => void): (event: ProgressEvent) => void {
  const tty = process.stdout.isTTY;
  let last = '';
  return (event) => {
    if (event.kind === 'wait') {
      if (tty) process.stdout.write(`\r  … ${event.text}\x1b[K`);
      else if (event.text !== last) print(`  … ${event.text}`);
      last = event.text;
      return;
    }
    if (tty && last) process.stdout.write('\r\x1b[K');
    last = '';
    if (event.kind === 'step') print(`▶ ${event.step}: ${event.text}`);
    else print(`  ${event.step.held ? '✔ held' : '✘ FAILED'}: ${event.step.details}`);
  };
}

export async function runExperimentCli(argv: string[], print: (line: string) => void = console.log, signal?: AbortSignal): Promise<CliOutcome | undefined> {
  const { values } = parseArgs({
    args: argv,
    options: {
      endpoint: { type: 'string' },
      products: { type: 'string' },
      versions: { type: 'string' },
      'latency-ms': { type: 'string' },
      'recovery-timeout': { type: 'string' },
      'report-dir': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    print(usage);
    return undefined;
  }
  const endpoint = values.endpoint ?? process.env.CHAOS_ENDPOINT ?? localstack.endpoint;
  const experiment = new Experiment({
    endpoint,
    ids: positiveInt(values.products, 10, '--products'),
    versions: positiveInt(values.versions, 3, '--versions'),
    latencyMs: positiveInt(values['latency-ms'], 5000, '--latency-ms', true),
    recoveryTimeoutMs: positiveInt(values['recovery-timeout'], 60, '--recovery-timeout') * 1000,
    progress: progressPrinter(print),
    ...(signal ? { signal } : {}),
  });
  print(`Chaos experiment ${experiment.runId} against ${endpoint}\n`);
  const journal = await experiment.run();
  const reportDir = values['report-dir'] ?? path.join('reports', journal.startedAt.replace(/[:.]/g, '-'));
  await writeReport(reportDir, journal);
  print(`\n${summaryText(journal)}\nReport: ${path.join(reportDir, 'report.md')} (chart.svg, journal.json beside it)`);
  return { journal, reportDir };
}

if (require.main === module) {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.log('\nInterrupted: removing the faults and effects this run added...');
    controller.abort();
  });
  runExperimentCli(process.argv.slice(2), console.log, controller.signal).then(
    (outcome) => process.exit(outcome && !outcome.journal.summary.held ? 1 : 0),
    (error: unknown) => {
      console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(controller.signal.aborted ? 130 : 2);
    },
  );
}
