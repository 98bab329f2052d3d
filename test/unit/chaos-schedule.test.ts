/** The randomized schedules' fault pool, draws and mapping configurations (the runs themselves are in test/e2e/randomized-chaos.test.ts and the soak). */
import fc from 'fast-check';
import { names, retryGuards, retryPath, timing } from '#spec';
import { checkRules } from '../../shared/contracts/chaos-api-validate';
import { beyondTimeoutMs, blamingCodes, faultPool, plantedStamps, scheduleArbitrary } from '../../chaos/api/chaos-schedule';
import { kindOf, mappingInput, mappingKinds } from '../../chaos/api/mapping-kinds';

it('draws from every fault code of issue 10, each rule one LocalStack accepts', () => {
  expect(checkRules(faultPool)).toEqual([]);
  for (const code of blamingCodes) {
    for (const operation of ['PutItem', 'GetItem'])
      expect(faultPool).toContainEqual(expect.objectContaining({ service: 'dynamodb', operation, error: { statusCode: 400, code } }));
  }
  for (const operation of ['SendMessage', 'DeleteMessageBatch']) expect(faultPool).toContainEqual(expect.objectContaining({ service: 'sqs', operation }));
});

it('draws latency beyond the per-attempt timeout only when asked (the soak), and bursts in both', () => {
  expect(beyondTimeoutMs).toBeGreaterThan(timing.requestTimeoutMs);
  const latencies = (beyondTimeout: boolean) =>
    new Set(
      fc
        .sample(scheduleArbitrary({ maxPhases: 5, maxWritesPerWriter: 3, beyondTimeout }), { seed: 1, numRuns: 400 })
        .flatMap((schedule) => schedule.phases)
        .map((phase) => phase.latencyMs),
    );
  expect(latencies(true)).toContain(beyondTimeoutMs);
  expect(latencies(false)).not.toContain(beyondTimeoutMs);
  const phases = fc.sample(scheduleArbitrary({ maxPhases: 5, maxWritesPerWriter: 3 }), { seed: 1, numRuns: 100 }).flatMap((schedule) => schedule.phases);
  expect(phases.some((phase) => phase.burst)).toBe(true);
});

it('draws both mappings and planted items only when asked, each planted product once and among the shared ones', () => {
  const plain = fc.sample(scheduleArbitrary({ maxPhases: 2, maxWritesPerWriter: 2 }), { seed: 1, numRuns: 100 });
  expect(new Set(plain.map((schedule) => schedule.mapping))).toEqual(new Set(['stack']));
  expect(plain.every((schedule) => schedule.planted.length === 0)).toBe(true);

  const mixed = fc.sample(scheduleArbitrary({ maxPhases: 2, maxWritesPerWriter: 2, mappings: mappingKinds, plantAmong: 5 }), { seed: 1, numRuns: 200 });
  expect(new Set(mixed.map((schedule) => schedule.mapping))).toEqual(new Set(mappingKinds));
  const plantCounts = new Set(mixed.map((schedule) => schedule.planted.length));
  expect(plantCounts).toContain(0);
  expect([...plantCounts].some((count) => count > 0)).toBe(true);
  const plants = mixed.flatMap((schedule) => schedule.planted);
  expect(new Set(plants.map((plant) => plant.stamp))).toEqual(new Set(Object.keys(plantedStamps)));
  expect(plants.every((plant) => plant.product >= 0 && plant.product < 5)).toBe(true);
  for (const { planted } of mixed) expect(new Set(planted.map((plant) => plant.product)).size).toBe(planted.length);
});

it('plants stamps beyond now + the clock-skew bound, as whole milliseconds an item can hold exactly', () => {
  const now = Date.now();
  for (const stamp of Object.values(plantedStamps)) {
    expect(stamp(now)).toBeGreaterThan(now + retryGuards.clockSkewSeconds * 1000);
    expect(Number.isSafeInteger(stamp(now))).toBe(true);
  }
});

it("recreates the mapping bare as the AWS CLI's default (queue, function, batch size), and the stack's with partial batch responses", () => {
  const queueArn = `arn:aws:sqs:us-east-1:000000000000:${names.queue}`;
  expect(mappingInput('bare', queueArn)).toEqual({ EventSourceArn: queueArn, FunctionName: names.retryFunction, BatchSize: retryPath.batchSize });
  expect(mappingInput('stack', queueArn)).toEqual({
    EventSourceArn: queueArn,
    FunctionName: names.retryFunction,
    BatchSize: retryPath.batchSize,
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    ScalingConfig: { MaximumConcurrency: retryPath.maximumConcurrency },
  });
  for (const kind of mappingKinds) expect(kindOf(mappingInput(kind, queueArn))).toBe(kind);
  expect(kindOf({ FunctionResponseTypes: [] })).toBe('bare');
});
