/**
 * `npm run bench`: the performance figures of the design, measured on the offline runtime, printed
 * as a table and written to reports/bench.json as numbers with units, so runs can be compared.
 * Noisy machines give noisy numbers: each timing is a distribution (p50/p95/p99) over many
 * requests, measured in one run.
 */
import '../shared/cli/quiet-sdk';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { env as envName, localstack, names, region, timing } from '#spec';
import { startRuntime } from '../offline/runtime/compose';
import { buildAll, bundles } from '../shared/build/lambda-bundles';
import { dashboardIdleSeconds, dashboardSection, dashboardTargetPercent } from '../bench/dashboard';
import { deployNames, deploySection, startupSamples, startupTargetMs } from '../bench/deploy';
import { MEMORY_IDS, MEMORY_WRITERS, memoryCheckpoints, memorySection, memoryTargets } from '../bench/memory';
import { api, consistency, recovery, recoveryOutages, recoveryTargetSeconds, recoveryWrites } from '../bench/recovery';
import { command, type Command, main, Option, parse } from '../shared/cli/command';
import { percentile } from '../chaos/report/stats';

/** One figure: a distribution of n samples, or a single value (with the target it must not exceed, if any). Numbers, in `unit`. */
export type Result = { name: string; unit: string } & ({ n: number; p50: number; p95: number; p99: number } | { value: number; n?: number; target?: number });

/** What bench measures, in the order it measures it, with the samples of a full run. */
export const measures = {
  stored: { name: 'POST, stored (200)', n: 300 },
  get: { name: 'GET by id (200)', n: 300 },
  bare: { name: 'bare SDK PutItem to the same emulator', n: 300 },
  overhead: { name: 'product handler overhead over a bare PutItem (p50 ratio)', n: 0 },
  queuedOpen: { name: 'POST, queued, DynamoDB down, breaker open (202)', n: 200 },
  slow: { name: 'POST with 5 s latency on every AWS call (200)', n: 3 },
  slowQueued: { name: 'POST with 5 s latency, DynamoDB down (202)', n: 3 },
  queuedClosed: { name: 'POST, queued, DynamoDB down, breaker closed (202)', n: 100 },
} as const;
const drainCounts = [100, 1000] as const;

const bundleLoads = 5;

/** --quick: the same figures from a tenth of the samples (one of each 5 s latency request). */
const quickSamples = (full: number) => (full <= 3 ? 1 : Math.max(3, Math.ceil(full / 10)));

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

const round = (value: number) => Math.round(value * 100) / 100;

function show(result: Result): string {
  const unit = result.unit === 'ratio' ? '×' : ` ${result.unit}`;
  const figures =
    'value' in result
      ? `${result.value}${unit}${result.n ? `  n ${result.n}` : ''}${result.target === undefined ? '' : `  (target ≤ ${result.target}${unit})`}`
      : `p50 ${result.p50.toFixed(1)}${unit}  p95 ${result.p95.toFixed(1)}${unit}  p99 ${result.p99.toFixed(1)}${unit}  n ${result.n}`;
  return `  ${result.name.padEnd(58)} ${figures}`;
}

const distribution = (name: string, ms: number[], unit = 'ms'): Result => ({
  name,
  unit,
  n: ms.length,
  p50: round(percentile(ms, 50)),
  p95: round(percentile(ms, 95)),
  p99: round(percentile(ms, 99)),
});

const fastTimings = { visibilityTimeoutSeconds: 30, pollWaitSeconds: 1 };

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const value = await fn();
  return [performance.now() - started, value];
}

async function series(n: number, fn: (i: number) => Promise<number>, expect: number[]): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const [elapsed, status] = await timed(() => fn(i));
    if (!expect.includes(status)) throw new Error(`unexpected status ${status}`);
    ms.push(elapsed);
  }
  return ms;
}

async function run(argv: string[]): Promise<number> {
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

/** Section app: every figure of the application on the offline runtime, as bench measured before the deploy section. */
async function appSection(built: Awaited<ReturnType<typeof buildAll>>, quick: boolean, record: (...figures: Result[]) => void): Promise<void> {
  const n = (measure: { n: number }) => (quick ? quickSamples(measure.n) : measure.n);
  const quiet = () => undefined;

  const runtime = await startRuntime({ port: 0, log: quiet, build: false, timings: fastTimings });
  try {
    const { post, get, faults, latency, dynamo } = api(runtime);
    await series(20, (i) => post(`warm-${i}`), [200]); // warm environments and connections
    const stored = await series(n(measures.stored), (i) => post(`stored-${i}`), [200]);
    record(distribution(measures.stored.name, stored));
    record(distribution(measures.get.name, await series(n(measures.get), (i) => get(`stored-${i}`), [200])));

    const bare = await series(
      n(measures.bare),
      async (i) => {
        await dynamo.send(
          new PutItemCommand({ TableName: names.table, Item: { id: { S: `bare-${i}` }, name: { S: 'Bench' }, price: { N: '1' }, description: { S: 'b' } } }),
        );
        return 200;
      },
      [200],
    );
    record(distribution(measures.bare.name, bare));
    record({ name: measures.overhead.name, unit: 'ratio', value: Math.round((percentile(stored, 50) / percentile(bare, 50)) * 10) / 10 });

    await faults([{ service: 'dynamodb', operation: 'PutItem' }]);
    record(distribution(measures.queuedOpen.name, await series(n(measures.queuedOpen), (i) => post(`queued-open-${i}`), [202])));
    await faults([]);
    await sleep(timing.breakerCooldownMs + 500); // let the product Lambda's breaker close again
    await latency(5_000);
    record(distribution(measures.slow.name, await series(n(measures.slow), (i) => post(`slow-${i}`), [200])));
    await faults([{ service: 'dynamodb', operation: 'PutItem' }]);
    record(distribution(measures.slowQueued.name, await series(n(measures.slowQueued), (i) => post(`slow-q-${i}`), [202])));
    await faults([]);
    await latency(0);
  } finally {
    await runtime.stop();
  }

  // The breaker kept closed: every queued write first pays for DynamoDB's failed attempts.
  const closed = await startRuntime({
    port: 0,
    log: quiet,
    build: false,
    timings: fastTimings,
    environmentOverrides: { product: { BREAKER_FAILURE_THRESHOLD: '1000000' } },
  });
  try {
    const { post, faults } = api(closed);
    await faults([{ service: 'dynamodb', operation: 'PutItem' }]);
    record(distribution(measures.queuedClosed.name, await series(n(measures.queuedClosed), (i) => post(`queued-closed-${i}`), [202])));
    await faults([]);
  } finally {
    await closed.stop();
  }

  for (const count of drainCounts) {
    const drain = await startRuntime({ port: 0, log: quiet, build: false, timings: fastTimings });
    try {
      record(...(await consistency(drain, count)));
    } finally {
      await drain.stop();
    }
  }

  // The outages run side by side (each on a runtime of its own), so the 3-minute one sets the pace.
  const outages = recoveryOutages.filter((outage) => !(quick && 'skippedByQuick' in outage));
  for (const outage of recoveryOutages) {
    if (!outages.includes(outage))
      console.log(`  recovery after a ${outage.label}: skipped (--quick keeps the run short; the 10 s and the scaled outage stand for it)`);
  }
  console.log(`  (outages of ${outages.map((o) => `${o.outageSeconds} s`).join(', ')} under way side by side...)`);
  const recoveries = await Promise.all(outages.map((outage) => recovery(outage)));
  for (const figures of recoveries) record(...figures);
  const times = recoveries.map((figures, i) => `${outages[i]?.label}: ${figures[0] && 'value' in figures[0] ? figures[0].value : '?'} s`);
  console.log(`  recovery side by side (target ${recoveryTargetSeconds} s): ${times.join(' | ')}`);

  for (const { name, file } of built) {
    const loads = Array.from({ length: bundleLoads }, () => {
      const script = `const t=process.hrtime.bigint();require(${JSON.stringify(path.resolve(file))});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
      const env = {
        ...process.env,
        [envName.tableName]: 'T',
        [envName.topicArn]: `arn:aws:sns:${region}:${localstack.accountId}:T`,
        [envName.queueUrl]: 'http://q',
        [envName.deadLetterQueueUrl]: 'http://d',
      };
      return Number(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }).trim());
    });
    record(
      { name: `bundle ${name}: size`, unit: 'KiB', value: Math.round(statSync(file).size / 1024) },
      distribution(`bundle ${name}: cold module load`, loads),
    );
  }
}

if (require.main === module) main(() => run(process.argv.slice(2)));
