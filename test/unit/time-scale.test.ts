/** TEST_TIME_SCALE: the timeouts the tests set, scaled from one setting (time-scale.ts, environment.ts). */
import type { Circus } from '@jest/types';
import { scaleTimeoutOnce } from '../support/environment';
import { scaled, timeScaleOf } from '../support/time-scale';

it('reads a factor of at least 1, and 1 from a value missing or not such a factor', () => {
  expect(timeScaleOf('2.5')).toBe(2.5);
  expect(timeScaleOf('1')).toBe(1);
  for (const value of [undefined, '', 'fast', '0.5', '-2', 'Infinity']) expect(timeScaleOf(value)).toBe(1);
});

it('multiplies a timeout, rounded up to a whole millisecond', () => {
  expect(scaled(30_000, 2.5)).toBe(75_000);
  expect(scaled(3, 2.5)).toBe(8);
  expect(scaled(30_000, 1)).toBe(30_000);
});

it("scales a test's and a hook's own timeout once, however often they start, and leaves one not given", () => {
  const seen = new WeakSet<object>();
  const test = { timeout: 60_000 } as Circus.TestEntry;
  const hook = { timeout: 1_000 } as Circus.Hook;
  const withDefault = { timeout: undefined } as Circus.TestEntry;
  for (let start = 0; start < 2; start += 1) for (const entry of [test, hook, withDefault]) scaleTimeoutOnce(entry, seen, 3);
  expect([test.timeout, hook.timeout, withDefault.timeout]).toEqual([180_000, 3_000, undefined]);
});
