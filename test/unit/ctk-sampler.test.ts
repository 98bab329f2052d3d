/**
 * The sampler behind the chart and the live line: a reading every interval, a failed or slow
 * reading is null (a gap), never 0; and this run's products only, from its writes as they arrive.
 */
import type { WriteRecord } from '../../chaos/probes/records';
import { startSampler } from '../../chaos/runner/sampler';
import type { StoredValue } from '../../shared/app-client/app-client';

// The interval and the readings' timeouts run on jest's clock.
beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

const write = (id: string, status: number, sentAt: number): WriteRecord => ({
  id,
  name: `${id} v1`,
  version: 1,
  status,
  sentAt,
  answeredAt: sentAt + 10,
  retryAfter: null,
});

it('takes a reading at once and then every interval; a failed or slow reading is null', async () => {
  let calls = 0;
  const sampler = startSampler(
    {
      queue: async () => 3,
      dlq: async () => {
        calls += 1;
        if (calls % 2 === 0) throw new Error('refused');
        return 0;
      },
      // Never answers: the timeout ends the reading.
      table: (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('timed out')))),
      newWrites: () => [],
    },
    50,
    30,
  );
  const origin = Date.now();
  await jest.advanceTimersByTimeAsync(220);
  const stopping = sampler.stop(origin);
  // The last reading of the table ends at its timeout.
  await jest.advanceTimersByTimeAsync(30);
  const samples = await stopping;
  expect(samples.map((s) => s.t)).toEqual([0, 50, 100, 150, 200]);
  expect(samples.every((s) => s.queue === 3 && s.holding === null && s.accepted === 0)).toBe(true);
  expect(samples.map((s) => s.dlq)).toEqual([0, null, 0, null, 0]);
  const count = samples.length;
  await jest.advanceTimersByTimeAsync(120);
  expect(calls).toBe(count);
});

it("counts this run's accepted products and those holding their newest value, not what else the table holds", async () => {
  const start = Date.now();
  const arriving: WriteRecord[][] = [[write('a', 200, start)], [write('b', 202, start + 1), write('c', 503, start + 2)], []];
  const table = new Map<string, StoredValue>([
    ['a', { name: 'a v1', updatedAt: start + 5 }],
    // An earlier run's product, and this run's queued one not applied yet: neither holds.
    ['old', { name: 'old v1', updatedAt: start - 60_000 }],
  ]);
  const sampler = startSampler({ queue: async () => 1, dlq: async () => 0, table: async () => table, newWrites: () => arriving.shift() ?? [] }, 50, 30);
  await jest.advanceTimersByTimeAsync(0);
  expect(sampler.latest()).toEqual({ writes: 1, queue: 1, dlq: 0, accepted: 1, holding: 1 });
  await jest.advanceTimersByTimeAsync(50);
  expect(sampler.latest()).toEqual({ writes: 3, queue: 1, dlq: 0, accepted: 2, holding: 1 });
  table.set('b', { name: 'b v1', updatedAt: start + 20 });
  await jest.advanceTimersByTimeAsync(50);
  const samples = await sampler.stop(start);
  expect(samples.map((s) => [s.accepted, s.holding])).toEqual([
    [1, 1],
    [2, 1],
    [2, 2],
  ]);
});
