/** The sampler behind the chart: a reading every interval, a failed or slow reading is null (a gap), never 0. */
import { startSampler } from '../../chaos/runner/sampler';

// The interval and the readings' timeouts run on jest's clock.
beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

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
      items: (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('timed out')))),
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
  expect(samples.every((s) => s.queue === 3 && s.items === null)).toBe(true);
  expect(samples.map((s) => s.dlq)).toEqual([0, null, 0, null, 0]);
  const count = samples.length;
  await jest.advanceTimersByTimeAsync(120);
  expect(calls).toBe(count);
});
