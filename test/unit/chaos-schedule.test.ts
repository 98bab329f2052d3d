/** The randomized schedules' answer classes and fault pool (the runs themselves are in test/e2e/randomized-chaos.test.ts and the soak). */
import fc from 'fast-check';
import { timing } from '#spec';
import { NOT_SAVED_MESSAGE, OUTCOME_UNKNOWN_MESSAGE } from '../../lambdas/product/http';
import { checkRules } from '../../local/chaos';
import { beyondTimeoutMs, blamingCodes, classifyAnswer, faultPool, scheduleArbitrary } from '../../scripts/lib/chaos-schedule';

describe('classifyAnswer tells accepted, refused and unknown apart', () => {
  it.each([
    [200, 'Product added/updated successfully.', 'accepted'],
    [202, 'A DynamoDB error occurred. Message sent to queue.', 'accepted'],
    [503, JSON.stringify({ message: NOT_SAVED_MESSAGE }), 'refused'],
    [503, JSON.stringify({ message: OUTCOME_UNKNOWN_MESSAGE }), 'unknown'],
    [500, JSON.stringify({ message: 'Internal server error', reason: 'Lambda throttled ProductFunction (429 TooManyRequestsException: Rate Exceeded.): ...' }), 'refused'],
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
    for (const operation of ['PutItem', 'GetItem']) expect(faultPool).toContainEqual(expect.objectContaining({ service: 'dynamodb', operation, error: { statusCode: 400, code } }));
  }
  for (const operation of ['SendMessage', 'DeleteMessageBatch']) expect(faultPool).toContainEqual(expect.objectContaining({ service: 'sqs', operation }));
});

it('draws latency beyond the per-attempt timeout only when asked (the soak), and bursts in both', () => {
  expect(beyondTimeoutMs).toBeGreaterThan(timing.requestTimeoutMs);
  const latencies = (beyondTimeout: boolean) =>
    new Set(fc.sample(scheduleArbitrary({ maxPhases: 5, maxWritesPerWriter: 3, beyondTimeout }), { seed: 1, numRuns: 400 }).flat().map((phase) => phase.latencyMs));
  expect(latencies(true)).toContain(beyondTimeoutMs);
  expect(latencies(false)).not.toContain(beyondTimeoutMs);
  const phases = fc.sample(scheduleArbitrary({ maxPhases: 5, maxWritesPerWriter: 3 }), { seed: 1, numRuns: 100 }).flat();
  expect(phases.some((phase) => phase.burst)).toBe(true);
});
