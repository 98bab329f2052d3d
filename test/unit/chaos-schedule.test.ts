/** The randomized schedules' answer classes and fault pool (the runs themselves are in test/e2e/randomized-chaos.test.ts and the soak). */
import fc from 'fast-check';
import { names, timing } from '#spec';
import { logMessages } from '../../lambdas/log-messages';
import { NOT_SAVED_MESSAGE, OUTCOME_UNKNOWN_MESSAGE } from '../../lambdas/product/http';
import { checkRules } from '../../offline/edge/chaos';
import { beyondTimeoutMs, blamingCodes, checkLoggedWrites, classifyAnswer, faultPool, logEntries, scheduleArbitrary } from '../../scripts/lib/chaos-schedule';

describe('classifyAnswer tells accepted, refused and unknown apart', () => {
  it.each([
    [200, 'Product added/updated successfully.', 'accepted'],
    [202, 'A DynamoDB error occurred. Message sent to queue.', 'accepted'],
    [503, JSON.stringify({ message: NOT_SAVED_MESSAGE }), 'refused'],
    [503, JSON.stringify({ message: OUTCOME_UNKNOWN_MESSAGE }), 'unknown'],
    [
      500,
      JSON.stringify({
        message: 'Internal server error',
        reason: `Lambda throttled ${names.productFunction} (429 TooManyRequestsException: Rate Exceeded.): ...`,
      }),
      'refused',
    ],
    [429, JSON.stringify({ message: 'Too Many Requests' }), 'refused'],
    // Honest answers only: anything else breaks the invariants by itself.
    [503, JSON.stringify({ message: 'Service unavailable' }), 'wrong'],
    [500, JSON.stringify({ message: 'Internal server error' }), 'wrong'],
    [504, JSON.stringify({ message: 'Endpoint request timed out' }), 'wrong'],
    [502, 'Bad Gateway', 'wrong'],
    [400, JSON.stringify({ message: 'name: must not be blank' }), 'wrong'],
    [0, '', 'wrong'],
  ])('%d %s → %s', (status, body, answer) => {
    expect(classifyAnswer(status, body)).toBe(answer);
  });
});

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
        .flat()
        .map((phase) => phase.latencyMs),
    );
  expect(latencies(true)).toContain(beyondTimeoutMs);
  expect(latencies(false)).not.toContain(beyondTimeoutMs);
  const phases = fc.sample(scheduleArbitrary({ maxPhases: 5, maxWritesPerWriter: 3 }), { seed: 1, numRuns: 100 }).flat();
  expect(phases.some((phase) => phase.burst)).toBe(true);
});

describe("checkLoggedWrites reads the functions' JSON log lines", () => {
  // As the runtime prints them: the function's name, then Powertools Logger's JSON line.
  const line = (fn: string, message: string, keys: Record<string, unknown>) =>
    `[${fn}] ${JSON.stringify({ level: 'INFO', message, timestamp: '2026-01-01T00:00:00.000Z', service: 'product', ...keys })}`;
  const lines = [
    `[${names.productFunction}] START RequestId: 1`,
    line(names.productFunction, logMessages.stored, { productId: 'r1-a', updatedAt: 5 }),
    line(names.productFunction, logMessages.queued, { productId: 'r1-b', updatedAt: 7, messageId: 'm' }),
    line(names.productFunction, logMessages.stored, { productId: 'r2-a', updatedAt: 9 }),
    line(names.retryFunction, logMessages.stale, { productId: 'r1-b', updatedAt: 6, requestId: 'q', messageId: 'm' }),
    `[${names.productFunction}] END RequestId: 1 Duration: 3 ms`,
  ];

  it('skips lines that are not JSON', () => {
    expect(logEntries(lines).map((entry) => entry.message)).toEqual([logMessages.stored, logMessages.queued, logMessages.stored, logMessages.stale]);
  });

  it("finds this run's stored and queued writes and checks them against the table", () => {
    const held = new Map([
      ['r1-a', { name: 'a', updatedAt: 5 }],
      ['r1-b', { name: 'b', updatedAt: 6 }],
    ]);
    expect(checkLoggedWrites(lines, 'r1', held, 2)).toEqual({
      violations: [`r1-b: the runtime logged "${logMessages.queued}" at 7, the table holds 6`],
      staleDropped: 1,
    });
    held.set('r1-b', { name: 'b', updatedAt: 7 });
    expect(checkLoggedWrites(lines, 'r1', held, 2)).toEqual({ violations: [], staleDropped: 1 });
  });

  it('reports accepted writes with no matching log line, so a renamed message cannot pass unnoticed', () => {
    const renamed = [line(names.productFunction, 'Product saved', { productId: 'r1-a', updatedAt: 5 })];
    expect(checkLoggedWrites(renamed, 'r1', new Map([['r1-a', { name: 'a', updatedAt: 5 }]]), 1).violations).toEqual([
      `1 write(s) were accepted, but no log line of this run says "${logMessages.stored}" or "${logMessages.queued}" with a productId and updatedAt`,
    ]);
    expect(checkLoggedWrites([], 'r1', new Map(), 0).violations).toEqual([]);
  });
});
