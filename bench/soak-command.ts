/**
 * `npm run soak`: the randomized chaos test at length against an offline runtime of its own:
 * schedules of faults and latency, with the retry function's mapping as --mapping says and now and
 * then items planted with future stamps, until --writes writes (default 5,000) have been sent,
 * checking the invariants after each schedule. Prints progress and totals; exits 1 on any
 * violation, with the seed and the shrunk schedule to replay it.
 */
import fc from 'fast-check';
import { offline, timing } from '#spec';
import { fastTimings, startRuntime } from '../offline/runtime/compose';
import { beyondTimeoutMs, blamingCodes, plantedStamps, runSchedule, scheduleArbitrary } from '../chaos/api/chaos-schedule';
import { command, type Command, int, Option, parse } from '../shared/cli/command';
import { progress } from '../shared/cli/progress';
import { mappingDescriptions, type MappingKind, mappingKinds } from '../chaos/api/mapping-kinds';

const writers = 8;
const ids = 20;
const maxPhases = 5;
const maxWritesPerWriter = 12;
const burstWriters = offline.productConcurrency + 4;
const mappingChoices = ['both', ...mappingKinds] as const;
type MappingChoice = (typeof mappingChoices)[number];

export function soakCommand(print?: (text: string) => void): Command {
  return command(
    'npm run soak --',
    'Randomized chaos at length against an offline runtime of its own (nothing else needed): schedules of faults and latency until --writes writes have been sent, with the invariants checked after each schedule.',
    print,
  )
    .option('--writes <n>', 'how many writes to send in all; the last schedule stops when they are sent', int(1), 5000)
    .option('--seed <n>', 'seed of the random schedules (default: a random one, printed at the start)', int(0, 2 ** 31 - 1))
    .addOption(
      new Option(
        '--mapping <kind>',
        "the retry function's event source mapping: stack (as deployed, with ReportBatchItemFailures), bare (deleted and recreated as the AWS CLI does by default: no FunctionResponseTypes) or both (drawn per schedule from the seed)",
      )
        .choices(mappingChoices)
        .default('both'),
    )
    .addHelpText(
      'after',
      `
Each schedule has 1 to ${maxPhases} phases. Each phase sets up to 3 faults and a latency while
${writers} writers send 1 to ${maxWritesPerWriter} writes each to ${ids} shared products:
  faults   DynamoDB, SNS or SQS: whole services, single operations, partial probabilities;
           on DynamoDB PutItem or GetItem, ${blamingCodes.slice(0, 2).join(', ')},
           ${blamingCodes.slice(2).join(', ')};
           SQS SendMessage and DeleteMessageBatch
  latency  0 to 1,500 ms, and rarely ${beyondTimeoutMs} ms, beyond the ${timing.requestTimeoutMs / 1000} s per-attempt timeout
           (one write per writer then: each takes about 20 s)
  burst    in about one phase of five, ${burstWriters} more writers send one write each at once,
           beyond the product function's limit of ${offline.productConcurrency} concurrent executions
Before the first phase the retry function's mapping is set as --mapping says, and in about
half the schedules 1 to 3 of the products are planted: PutItem straight into the table, not
through the API, with updatedAt far in the future (${Object.keys(plantedStamps).join(' or ')}), as an import
or a writer with a bad clock would. A planted item is no accepted write.
Then the faults clear, the queues drain and the invariants are checked, per answer:
  accepted (200, 202)                 in the table unless a later write superseded it,
                                      over a planted item too (which only a product no
                                      write was accepted for may still hold)
  refused (503 not saved, throttled)  never in the table
  unknown (503 outcome unknown)       may be in the table, only if no accepted write came after it
  anything else                       a violation by itself
and nothing is dead-lettered, the queue is empty, every read answers 200, 404 or 503.

Takes roughly 30 to 60 s per 1,000 writes on 2 cores (the default 5,000: 3 to 5 min).
Progress: one line redrawn in place on a terminal, a line every 5 s when piped.

Exit codes: 0 the invariants held; 1 a violation, printed with the shrunk schedule and
the command that replays it (same --seed, --writes and --mapping); 2 a wrong command line.

Example: npm run soak -- --writes 500 --seed 42`,
    );
}

export async function runSoak(argv: string[]): Promise<number> {
  const cmd = await parse(soakCommand(), argv);
  if (!cmd) return 0;
  const { writes: target, seed = Math.floor(Math.random() * 2 ** 31), mapping } = cmd.opts<{ writes: number; seed?: number; mapping: MappingChoice }>();
  const replay = `npm run soak -- --writes ${target} --seed ${seed} --mapping ${mapping}`;
  const mappings: MappingKind[] = mapping === 'both' ? [...mappingKinds] : [mapping];
  const logs: string[] = [];
  console.log('Starting the offline runtime (DynamoDB, SNS, SQS, both Lambdas, the Chaos API)...');
  // Scaled-down retry timings, as in the tests, so a schedule settles in seconds.
  const runtime = await startRuntime({ port: 0, log: (line) => logs.push(line), timings: fastTimings });
  console.log(`Soak: ${target} writes against ${runtime.url}, seed ${seed} (replay: ${replay})`);
  console.log(
    `Retry mapping: ${mapping === 'both' ? 'drawn per schedule, ' : ''}${mappings.map((kind) => `${kind} (${mappingDescriptions[kind]})`).join(' or ')}`,
  );
  const totals = {
    schedules: 0,
    slowPhases: 0,
    burstPhases: 0,
    stackMapping: 0,
    bareMapping: 0,
    planted: 0,
    plantedKept: 0,
    plantedWon: 0,
    writes: 0,
    stored: 0,
    queued: 0,
    refused: 0,
    throttled: 0,
    unknown: 0,
    unknownLanded: 0,
    wrongAnswers: 0,
    wrongReads: 0,
    staleDropped: 0,
    lost: 0,
    staleInTable: 0,
    refusedInTable: 0,
    deadLettered: 0,
    violations: 0,
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
      fc.asyncProperty(scheduleArbitrary({ maxPhases, maxWritesPerWriter, beyondTimeout: true, mappings, plantAmong: ids }), async (schedule) => {
        if (!failing && totals.writes >= target) return;
        // While shrinking, each smaller schedule gets the budget the failing one had.
        const cap = failing ? failing.cap : target - totals.writes;
        if (failing) failing.tries += 1;
        answered = 0;
        const outcome = await runSchedule(schedule, {
          endpoint: runtime.url,
          writers,
          ids,
          burstWriters,
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
        totals.slowPhases += schedule.phases.filter((phase) => phase.latencyMs > timing.requestTimeoutMs).length;
        totals.burstPhases += schedule.phases.filter((phase) => phase.burst).length;
        totals[`${schedule.mapping}Mapping`] += 1;
        totals.planted += schedule.planted.length;
        totals.writes += outcome.writes.length;
        totals.stored += outcome.writes.filter((w) => w.status === 200).length;
        totals.queued += outcome.writes.filter((w) => w.status === 202).length;
        totals.refused += outcome.writes.filter((w) => w.answer === 'refused' && w.status === 503).length;
        totals.throttled += outcome.writes.filter((w) => w.answer === 'refused' && w.status !== 503).length;
        totals.unknown += outcome.writes.filter((w) => w.answer === 'unknown').length;
        totals.staleDropped += outcome.staleDropped;
        totals.violations += outcome.violations.length;
        const { tally } = outcome;
        totals.lost += tally.lost;
        totals.staleInTable += tally.stale;
        totals.refusedInTable += tally.refusedStored;
        totals.deadLettered += tally.deadLettered;
        totals.unknownLanded += tally.unknownLanded;
        totals.wrongAnswers += tally.wrongAnswers;
        totals.wrongReads += tally.wrongReads;
        totals.plantedKept += tally.plantedKept;
        totals.plantedWon += tally.plantedWon;
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
    // The totals of the schedules checked, also when one broke the invariants (before its shrinking runs).
    console.log(`
  schedules                      ${totals.schedules} (phases with latency beyond the per-attempt timeout: ${totals.slowPhases}; with a burst beyond the concurrency limit: ${totals.burstPhases})
  retry mapping                  stack in ${totals.stackMapping}, bare in ${totals.bareMapping} (${mapping === 'both' ? 'drawn per schedule' : `--mapping ${mapping}`})
  planted (future updatedAt)     ${totals.planted}, of which ${totals.plantedKept} kept (allowed: no write to them was accepted)
  writes                         ${totals.writes}
  stored (200)                   ${totals.stored}
  queued (202)                   ${totals.queued}
  refused (503 not saved)        ${totals.refused}
  refused (throttled)            ${totals.throttled}
  unknown (503 outcome unknown)  ${totals.unknown}, of which ${totals.unknownLanded} ended in the table (allowed: each was the newest)
  wrong answers                  ${totals.wrongAnswers} (not accepted, refused or unknown: a 504, a 502, another 503, none)
  reads not 200/404/503          ${totals.wrongReads}
  lost (accepted, not stored)    ${totals.lost}
  stale values in the table      ${totals.staleInTable}
  refused writes in the table    ${totals.refusedInTable}
  planted over accepted writes   ${totals.plantedWon}
  dead-lettered valid writes     ${totals.deadLettered}
  violations in all              ${totals.violations}
  stale queued writes dropped    ${totals.staleDropped} (older than what the table held: dropped, as designed)
  took                           ${seconds()}`);
  }
  return 0;
}
