/**
 * `npm run soak`: the randomized chaos test at length against an offline runtime of its own:
 * schedules of faults and latency until --writes writes (default 5,000) have been sent, checking
 * the invariants after each schedule. Prints progress and totals; exits 1 on any violation, with
 * the seed and the shrunk schedule to replay it.
 */
import './lib/quiet-sdk';
import fc from 'fast-check';
import { fastTimings, startRuntime } from '../local/runtime';
import { runSchedule, scheduleArbitrary } from './lib/chaos-schedule';
import { command, type Command, int, main, parse } from './lib/cli';
import { progress } from './lib/progress';

const writers = 8;
const ids = 20;
const maxPhases = 5;
const maxWritesPerWriter = 12;

export function soakCommand(print?: (text: string) => void): Command {
  return command(
    'npm run soak --',
    'Randomized chaos at length against an offline runtime of its own (nothing else needed): schedules of faults and latency until --writes writes have been sent, with the invariants checked after each schedule.',
    print,
  )
    .option('--writes <n>', 'how many writes to send in all; the last schedule stops when they are sent', int(1), 5000)
    .option('--seed <n>', 'seed of the random schedules (default: a random one, printed at the start)', int(0, 2 ** 31 - 1))
    .addHelpText(
      'after',
      `
Each schedule has 1 to ${maxPhases} phases. Each phase sets up to 3 faults (DynamoDB, SNS or SQS;
whole services, single operations, partial probabilities) and 0 to 300 ms of latency
while ${writers} writers send 1 to ${maxWritesPerWriter} writes each to ${ids} shared products. Then the faults
clear, the queues drain and the invariants are checked: every accepted write is in the
table, no refused write is, nothing is dead-lettered, the queue is empty.

Takes roughly 30 to 60 s per 1,000 writes on 2 cores (the default 5,000: 3 to 5 min).
Progress: one line redrawn in place on a terminal, a line every 5 s when piped.

Exit codes: 0 the invariants held; 1 a violation, printed with the shrunk schedule and
the command that replays it (same --seed and --writes); 2 a wrong command line.

Example: npm run soak -- --writes 500 --seed 42`,
    );
}

async function run(argv: string[]): Promise<number> {
  const cmd = await parse(soakCommand(), argv);
  if (!cmd) return 0;
  const { writes: target, seed = Math.floor(Math.random() * 2 ** 31) } = cmd.opts<{ writes: number; seed?: number }>();
  const replay = `npm run soak -- --writes ${target} --seed ${seed}`;
  const logs: string[] = [];
  console.log('Starting the offline runtime (DynamoDB, SNS, SQS, both Lambdas, the Chaos API)...');
  // Scaled-down retry timings, as in the tests, so a schedule settles in seconds.
  const runtime = await startRuntime({ port: 0, log: (line) => logs.push(line), timings: fastTimings });
  console.log(`Soak: ${target} writes against ${runtime.url}, seed ${seed} (replay: ${replay})`);
  const totals = { schedules: 0, writes: 0, stored: 0, queued: 0, refused503: 0, staleDropped: 0, lost: 0, staleInTable: 0, rejectedInTable: 0, deadLettered: 0, violations: 0 };
  const tally = (violations: string[]) => {
    for (const v of violations) {
      if (v.includes('the table holds nothing')) totals.lost += 1;
      else if (v.includes('the newest accepted write')) totals.staleInTable += 1;
      else if (v.includes('a write the API rejected')) totals.rejectedInTable += 1;
      else if (v.includes('the DLQ holds')) totals.deadLettered += Number(/holds (\d+)/.exec(v)?.[1] ?? 1);
    }
  };
  const started = Date.now();
  // Writes answered in the schedule under way, and, once one failed, fast-check's shrinking runs.
  let answered = 0;
  let failing: { cap: number; tries: number } | undefined;
  const seconds = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  const bar = progress(() =>
    failing
      ? `  invariants broken after ${totals.writes} writes; shrinking the schedule (${failing.tries} tries), ${seconds()}`
      : `  ${totals.writes + answered}/${target} writes, ${totals.schedules} schedule${totals.schedules === 1 ? '' : 's'} checked, ${totals.violations} violations, ${seconds()}`,
  );
  try {
    await fc.assert(
      fc.asyncProperty(scheduleArbitrary(maxPhases, maxWritesPerWriter), async (schedule) => {
        if (!failing && totals.writes >= target) return;
        // While shrinking, each smaller schedule gets the budget the failing one had.
        const cap = failing ? failing.cap : target - totals.writes;
        if (failing) failing.tries += 1;
        answered = 0;
        const outcome = await runSchedule(schedule, {
          endpoint: runtime.url,
          writers,
          ids,
          logs: () => logs,
          settleTimeoutMs: 60_000,
          maxWrites: cap,
          onWrite: () => (answered += 1),
        });
        logs.length = 0;
        const broken = () => new Error(`Invariants broken in ${outcome.runId}:\n${outcome.violations.join('\n')}`);
        if (failing) {
          if (outcome.violations.length > 0) throw broken();
          return;
        }
        answered = 0;
        totals.schedules += 1;
        totals.writes += outcome.writes.length;
        totals.stored += outcome.writes.filter((w) => w.status === 200).length;
        totals.queued += outcome.writes.filter((w) => w.status === 202).length;
        totals.refused503 += outcome.writes.filter((w) => w.status === 503).length;
        totals.staleDropped += outcome.staleDropped;
        totals.violations += outcome.violations.length;
        tally(outcome.violations);
        if (outcome.violations.length > 0) {
          failing = { cap, tries: 0 };
          throw broken();
        }
      }),
      // The smallest schedule sends one write per writer: this many runs always reach the target.
      { seed, numRuns: Math.ceil(target / writers) },
    );
  } catch (error) {
    // fast-check keeps the property's own error (the violations) as the cause.
    const cause = error instanceof Error && error.cause instanceof Error ? `\n${error.cause.message}` : '';
    throw new Error(`${error instanceof Error ? error.message.trimEnd() : String(error)}${cause}\nReplay: ${replay}`, { cause: error });
  } finally {
    bar.done();
    await runtime.stop();
  }
  console.log(`
  schedules                   ${totals.schedules}
  writes                      ${totals.writes}
  stored (200)                ${totals.stored}
  queued (202)                ${totals.queued}
  refused (503)               ${totals.refused503}
  lost (accepted, not stored) ${totals.lost}
  stale values in the table   ${totals.staleInTable}
  refused writes in the table ${totals.rejectedInTable}
  dead-lettered valid writes  ${totals.deadLettered}
  stale queued writes dropped ${totals.staleDropped} (older than what the table held: dropped, as designed)
  took                        ${seconds()}`);
  return 0;
}

if (require.main === module) main(() => run(process.argv.slice(2)));
