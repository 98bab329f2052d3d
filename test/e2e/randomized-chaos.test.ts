/**
 * Randomized, seeded chaos against the offline runtime (the short version; `npm run soak` is the
 * long one). A failing run prints its seed and the shrunk schedule: replay it with
 * CHAOS_SEED=<seed> npx jest test/e2e/randomized-chaos.
 */
import fc from 'fast-check';
import { runSchedule, scheduleArbitrary } from '../../scripts/lib/chaos-schedule';
import { type OfflineRuntime, runtimeForSuite } from '../support/offline';

let runtime: OfflineRuntime;
const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));

runtimeForSuite((started) => (runtime = started));
beforeAll(() => console.log(`Randomized chaos seed: ${seed} (replay with CHAOS_SEED=${seed})`));

it('keeps every accepted write, and only those, whatever the schedule of faults', async () => {
  let writes = 0;
  const answers: Record<string, number> = {};
  await fc.assert(
    // Latency beyond the per-attempt timeout makes each write take ~20 s: the soak draws it, not this test.
    fc.asyncProperty(scheduleArbitrary({ maxPhases: 3, maxWritesPerWriter: 4 }), async (schedule) => {
      const outcome = await runSchedule(schedule, { endpoint: runtime.url, writers: 4, ids: 5, logs: () => runtime.logs, settleTimeoutMs: 45_000 });
      writes += outcome.writes.length;
      for (const w of outcome.writes) answers[w.answer] = (answers[w.answer] ?? 0) + 1;
      if (outcome.violations.length > 0) throw new Error(`Invariants broken in ${outcome.runId}:\n${outcome.violations.join('\n')}`);
    }),
    { seed, numRuns: 3, interruptAfterTimeLimit: 150_000, markInterruptAsFailure: false },
  );
  console.log(`Randomized chaos: ${writes} writes, answers ${JSON.stringify(answers)}`);
  expect(writes).toBeGreaterThan(0);
}, 240_000);
