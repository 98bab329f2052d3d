/**
 * Randomized, seeded chaos against the offline runtime (the short version; `npm run soak` is the
 * long one), with the retry function's mapping in both configurations AWS accepts and items
 * planted with stamps far in the future. A failing run prints its seed and the shrunk schedule:
 * replay it with CHAOS_SEED=<seed> npx jest test/e2e/randomized-chaos.
 */
import { type EventSourceMappingConfiguration, LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import fc from 'fast-check';
import { names } from '#spec';
import { runSchedule, scheduleArbitrary } from '../../chaos/api/chaos-schedule';
import { mappingKinds, useRetryMapping } from '../../chaos/api/mapping-kinds';
import { sdkConfig } from '../support/clients';
import { type OfflineRuntime, runtimeForSuite } from '../support/offline';

let runtime: OfflineRuntime;
const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ids = 5;

runtimeForSuite((started) => (runtime = started));
beforeAll(() => console.log(`Randomized chaos seed: ${seed} (replay with CHAOS_SEED=${seed})`));

it("switches the retry function's mapping to the AWS CLI's default and back to the stack's, through the Lambda API", async () => {
  const lambda = new LambdaClient(sdkConfig(runtime.url));
  const listed = async () => (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: names.retryFunction }))).EventSourceMappings ?? [];
  const settings = ({ EventSourceArn, BatchSize, FunctionResponseTypes, ScalingConfig }: EventSourceMappingConfiguration) => ({
    EventSourceArn,
    BatchSize,
    FunctionResponseTypes,
    ScalingConfig,
  });
  try {
    const [deployed, ...others] = await listed();
    expect(others).toEqual([]);
    expect(deployed?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);

    await useRetryMapping(runtime.url, 'bare');
    const [bare, ...more] = await listed();
    expect(more).toEqual([]);
    expect(bare?.UUID).not.toBe(deployed?.UUID);
    expect(settings(bare ?? {})).toEqual({ ...settings(deployed ?? {}), FunctionResponseTypes: [], ScalingConfig: undefined });

    await useRetryMapping(runtime.url, 'stack');
    const [stack] = await listed();
    expect(settings(stack ?? {})).toEqual(settings(deployed ?? {}));
  } finally {
    lambda.destroy();
  }
});

it('keeps every accepted write, and only those, whatever the schedule of faults, the mapping and the planted items', async () => {
  let writes = 0;
  let planted = 0;
  const answers: Record<string, number> = {};
  await fc.assert(
    // Latency beyond the per-attempt timeout makes each write take ~20 s: the soak draws it, not this test.
    fc.asyncProperty(scheduleArbitrary({ maxPhases: 3, maxWritesPerWriter: 4, mappings: mappingKinds, plantAmong: ids }), async (schedule) => {
      const outcome = await runSchedule(schedule, { endpoint: runtime.url, writers: 4, ids, logs: () => runtime.logs, settleTimeoutMs: 45_000 });
      writes += outcome.writes.length;
      planted += schedule.planted.length;
      for (const w of outcome.writes) answers[w.answer] = (answers[w.answer] ?? 0) + 1;
      if (outcome.violations.length > 0) throw new Error(`Invariants broken in ${outcome.runId}:\n${outcome.violations.join('\n')}`);
    }),
    { seed, numRuns: 3, interruptAfterTimeLimit: 150_000, markInterruptAsFailure: false },
  );
  console.log(`Randomized chaos: ${writes} writes, ${planted} planted items, answers ${JSON.stringify(answers)}`);
  expect(writes).toBeGreaterThan(0);
}, 240_000);
