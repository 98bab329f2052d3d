/** The sampler behind the chart: a reading every interval, a failed or slow reading is null (a gap), never 0. */
import { startSampler } from '../../scripts/lib/ctk/sampler';

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
  await new Promise((resolve) => setTimeout(resolve, 220));
  const samples = await sampler.stop(origin);
  expect(samples.length).toBeGreaterThanOrEqual(4);
  expect(samples[0]?.t).toBeLessThanOrEqual(5);
  expect(samples.map((s) => s.t)).toEqual([...samples.map((s) => s.t)].sort((a, b) => a - b));
  expect(samples.every((s) => s.queue === 3 && s.items === null)).toBe(true);
  expect(samples.map((s) => s.dlq).slice(0, 4)).toEqual([0, null, 0, null]);
  const count = samples.length;
  await new Promise((resolve) => setTimeout(resolve, 120));
  expect(calls).toBe(count);
});
