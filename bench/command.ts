/**
 * `npm run bench`: the performance figures of the design, measured on the offline runtime, printed
 * as a table and written to reports/bench.json as numbers with units, so runs can be compared.
 * Noisy machines give noisy numbers: each timing is a distribution (p50/p95/p99) over many
 * requests, measured in one run. The sections: app.ts, deploy/, dashboard.ts, memory.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildAll, bundles } from '../shared/build/lambda-bundles';
import { command, type Command, Option, parse } from '../shared/cli/command';
import { appSection, bundleLoads, drainCounts, measures, quickSamples } from './app';
import { dashboardIdleSeconds, dashboardSection, dashboardTargetPercent } from './dashboard';
import { deployNames, deploySection, startupSamples, startupTargetMs } from './deploy/section';
import { distribution, type Result, show } from './figures';
import { MEMORY_IDS, MEMORY_WRITERS, memoryCheckpoints, memorySection, memoryTargets } from './memory';
import { recoveryOutages, recoveryTargetSeconds, recoveryWrites } from './recovery';

/**
 * The parts of a run that --only and --skip select: `app`, every figure of the application on the
 * runtime; `deploy`, the real Terraform deploy; `dashboard`, the live dashboard's idle cost;
 * `memory`, the runtime's resident memory under a long stream of writes.
 */
export const sections = ['app', 'deploy', 'dashboard', 'memory'] as const;
export type Section = (typeof sections)[number];

export function benchCommand(print?: (text: string) => void): Command {
  const listed = [
    ...Object.values(measures).map(({ name, n }) => `  ${name}${n > 0 ? `: ${n} requests (--quick: ${quickSamples(n)})` : ''}`),
    ...drainCounts.map((count) => `  time to consistency and drain rate, ${count} writes queued during an outage`),
    ...recoveryOutages.map(
      ({ label, ...o }) =>
        `  recovery after a ${label}: ${recoveryWrites} writes queued, deployed timings${'skippedByQuick' in o ? ' (not with --quick)' : ''}`,
    ),
    ...bundles.map(({ name }) => `  bundle ${name}: size, and cold module load (${bundleLoads} loads)`),
  ];
  const deployListed = [
    `  ${deployNames.startupFirst}, and ${startupSamples.inProcess - 1} later ones (target ≤ ${startupTargetMs} ms)`,
    `  ${deployNames.startupReported}, and ${deployNames.startupProcess.replace('npm start -- --empty: ', '')} (${startupSamples.process} starts)`,
    '  terraform apply, then destroy, of the synthesized stack into a fresh empty offline runtime,',
    '    then into a fresh moto_server (one after the other, each on a free port), side by side:',
    '    seconds; terraform before the changes (provider launches, plan, refresh); the changes,',
    "    split into a call in flight (the server) and none (the provider's own waits); AWS calls",
    "    and the sum of their durations, from the provider's debug log; for the offline runtime",
    '    also the calls in its own log',
  ];
  return command(
    'npm run bench --',
    'Measures the performance figures of the design on an offline runtime of its own (nothing else needed), and the real Terraform deploy into it beside moto_server (section deploy), prints them as a table and writes them to a JSON file.',
    print,
  )
    .option('--out <file>', 'where to write the figures', path.join('reports', 'bench.json'))
    .option('--quick', 'a tenth of the samples per figure: noisier, for a smoke run, not for comparisons')
    .addOption(new Option('--only <section>', 'measure only this section').choices(sections).conflicts('skip'))
    .addOption(new Option('--skip <section>', 'leave this section out').choices(sections))
    .option('--terraform-logs <dir>', "section deploy: keep terraform's debug logs (TF_LOG=DEBUG) of each apply and destroy in this folder")
    .addHelpText(
      'after',
      `
Section app (timings in ms, as p50/p95/p99 over the requests):
${listed.join('\n')}

Section deploy (needs terraform with the provider mirror, and moto_server for
its column; without them it says why and measures what it can):
${deployListed.join('\n')}

Section app takes about 5 minutes on 2 cores (the 3-minute outage, run beside the
others), --quick about 2 minutes: the outages, the 5 s latency requests and the
1,000-write drain take most of it. Section deploy takes about 5 minutes more,
with or without --quick (one deploy per target; the AWS provider's own waits,
not the servers, set its pace): --skip deploy leaves it out, --only deploy runs
it alone.

Recovery: DynamoDB down (every call fails) for the outage, ${recoveryWrites} writes queued at its
start, the deployed retry timings; the figure is the time from the end of the
outage to the last queued write in the table (target: within ${recoveryTargetSeconds} s), with
what the retry path cost meanwhile: DynamoDB calls per minute, and SQS calls and
retry Lambda invocations per queued write per minute.

The JSON file holds the machine, the time, --quick, the sections measured, and
one entry per figure:
numbers with a unit, either a distribution or a single value, e.g.
  {"name": "POST, stored (200)", "unit": "ms", "n": 300, "p50": 5.2, "p95": 8.8, "p99": 11.8}
  {"name": "time to consistency, 100 queued writes", "unit": "s", "value": 1.48}

Section dashboard (about ${Math.round((dashboardIdleSeconds * 3 + 25) / 60)} minutes): the runtime as npm start runs it, idle, its CPU
time (every thread, from /proc) over ${dashboardIdleSeconds} s with no dashboard page open, ${dashboardIdleSeconds} s with
one open (headless Chromium, /usr/bin/chromium; without it a reader of the
page's event stream), and ${dashboardIdleSeconds} s after the page closed, in % of one core, side
by side (target: the open page costs under ${dashboardTargetPercent} %; with no page the dashboard
does not poll, so the first and last figures match).

Section memory (6 to 10 minutes on 2 cores, --quick about 2): the runtime as npm
start runs it, writes to the product API as fast as it takes them (${MEMORY_WRITERS} at a time,
over ${MEMORY_IDS.toLocaleString('en')} ids); its RSS (the process, Lambda environments included, and its
child processes, from /proc) after ${memoryCheckpoints.map((n) => n.toLocaleString('en')).join(', ')} writes (--quick: the first
two) in MiB, and the growth from the second to the last in % (targets: at most
${memoryTargets.rssMiB} MiB after ${memoryCheckpoints[2].toLocaleString('en')} writes, at most ${memoryTargets.growthPercent} % growth).

Exit codes: 0 done; 1 a measurement failed (an unexpected status); 2 a wrong
command line.`,
    );
}

export async function runBench(argv: string[]): Promise<number> {
  const cmd = await parse(benchCommand(), argv);
  if (!cmd) return 0;
  const {
    out,
    quick = false,
    only,
    skip,
    terraformLogs,
  } = cmd.opts<{ out: string; quick?: boolean; only?: Section; skip?: Section; terraformLogs?: string }>();
  const runs = (section: Section) => (only === undefined || only === section) && skip !== section;
  const results: Result[] = [];
  const record = (...figures: Result[]) => {
    for (const result of figures) {
      results.push(result);
      console.log(show(result));
    }
  };

  console.log(
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}${quick ? ' (--quick: fewer samples, noisier figures)' : ''}\n`,
  );
  const built = await buildAll();
  if (runs('app')) await appSection(built, quick, record);
  else console.log(`  section app: skipped (${only ? `--only ${only}` : `--skip app`})`);

  let failed = false;
  if (runs('deploy')) {
    console.log(`${runs('app') ? '\n' : ''}Deploy:`);
    const keep = (figure: Result, print = true) => {
      results.push(figure);
      if (print) console.log(show(figure));
    };
    failed = (await deploySection(keep, distribution, terraformLogs)).failed;
  } else console.log(`  section deploy: skipped (${only ? `--only ${only}` : '--skip deploy'})`);

  if (runs('dashboard')) {
    console.log('\nDashboard:');
    await dashboardSection(record, (line) => console.log(line));
  } else console.log(`  section dashboard: skipped (${only ? `--only ${only}` : '--skip dashboard'})`);

  if (runs('memory')) {
    console.log('\nMemory:');
    await memorySection(record, (line) => console.log(line), quick);
  } else console.log(`  section memory: skipped (${only ? `--only ${only}` : '--skip memory'})`);

  mkdirSync(path.dirname(out), { recursive: true });
  const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version };
  const measured = sections.filter(runs);
  writeFileSync(out, `${JSON.stringify({ machine, at: new Date().toISOString(), quick, sections: measured, results }, null, 2)}\n`);
  console.log(`\nWritten to ${out}`);
  return failed ? 1 : 0;
}
