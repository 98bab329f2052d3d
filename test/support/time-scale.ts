/**
 * The one setting every timeout in the tests scales from: TEST_TIME_SCALE, which jest.config.js
 * sets from the machine's load when it is not given (docs/testing.md). A timeout bounds how long a
 * test waits for something that should happen, not how long it waits, so a larger scale lets a
 * busy machine finish and costs a quiet one nothing. Where a test compares a time of the code
 * under test with a bound, both are scaled, so they keep their meaning.
 */

/** The factor a TEST_TIME_SCALE value gives: itself when a number of at least 1, otherwise 1. */
export function timeScaleOf(value: string | undefined): number {
  const given = Number(value);
  return value && Number.isFinite(given) && given >= 1 ? given : 1;
}

export const timeScale = timeScaleOf(process.env.TEST_TIME_SCALE);

/** `ms` scaled: for jest's per-test and per-hook timeouts and every wait with a deadline. */
export const scaled = (ms: number, scale = timeScale): number => Math.ceil(ms * scale);
