/**
 * `npm run soak`: the randomized chaos test at length against an offline runtime of its own:
 * schedules of faults and latency until at least --writes writes (default 5,000) have been sent,
 * checking the invariants after each schedule. Prints totals; exits 1 on any violation, with the
 * seed and the shrunk schedule to replay it.
 */
import fc from 'fast-check';
import { parseArgs } from 'node:util';
import { fastTimings, startRuntime } from '../local/runtime';
import { runSchedule, scheduleArbitrary } from './lib/chaos-schedule';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { writes: { type: 'string', default: '5000' }, seed: { type: 'string' } } });
  const target = Number(values.writes);
  if (!Number.isInteger(target) || target < 1) throw new Error(`--writes must be a whole number above 0, got "${values.writes}"`);
  const seed = Number(values.seed ?? Math.floor(Math.random() * 2 ** 31));
  const logs: string[] = [];
  // Scaled-down retry timings, as in the tests, so a schedule settles in seconds.
  const runtime = await startRuntime({ port: 0, log: (line) => logs.push(line), timings: fastTimings });
  console.log(`Soak: at least ${target} writes against ${runtime.url}, seed ${seed} (replay with --seed ${seed})`);
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
  try {
    await fc.assert(
      fc.asyncProperty(scheduleArbitrary(5, 12), async (schedule) => {
        if (totals.writes >= target) return;
        const outcome = await runSchedule(schedule, { endpoint: runtime.url, writers: 8, ids: 20, logs: () => logs, settleTimeoutMs: 60_000 });
        totals.schedules += 1;
        totals.writes += outcome.writes.length;
        totals.stored += outcome.writes.filter((w) => w.status === 200).length;
        totals.queued += outcome.writes.filter((w) => w.status === 202).length;
        totals.refused503 += outcome.writes.filter((w) => w.status === 503).length;
        totals.staleDropped += outcome.staleDropped;
        totals.violations += outcome.violations.length;
        tally(outcome.violations);
        process.stdout.write(`\r  ${totals.writes}/${target} writes, ${totals.schedules} schedules, ${totals.violations} violations`);
        if (outcome.violations.length > 0) throw new Error(`Invariants broken in ${outcome.runId}:\n${outcome.violations.join('\n')}`);
        logs.length = 0;
      }),
      { seed, numRuns: 10_000 },
    );
  } finally {
    await runtime.stop();
  }
  console.log(`\n
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
  took                        ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`\n${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
