/**
 * Whether a probe's output is within its tolerance, as chaoslib's hypothesis.py decides it for
 * the outputs of the http provider ({status, headers, body}) and the process provider
 * ({status, stdout, stderr}).
 */
import { isDeepStrictEqual } from 'node:util';
import { type Configuration, substitute } from './configuration';
import { jsonPathValues } from './jsonpath';
import type { Tolerance } from './schema';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The output's status when it has one: a bare integer or list tolerance is checked against it. */
const statusOf = (value: unknown): unknown => (isRecord(value) && 'status' in value ? value.status : undefined);

/** `target` picks one field of the output (`body`, `stdout`...); an absent field leaves the whole output, as in chaoslib. */
const targeted = (value: unknown, target: string | undefined): unknown => (target !== undefined && isRecord(value) && target in value ? value[target] : value);

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** chaoslib compares two bounds with Python's `<=`: numbers with numbers, strings with strings. */
function between(low: unknown, value: unknown, high: unknown): boolean {
  if (typeof value === 'number' && typeof low === 'number' && typeof high === 'number') return low <= value && value <= high;
  if (typeof value === 'string' && typeof low === 'string' && typeof high === 'string') return low <= value && value <= high;
  return false;
}

export function withinTolerance(tolerance: Tolerance, output: unknown, configuration: Configuration = {}): boolean {
  if (typeof tolerance === 'boolean') return output === tolerance;
  if (typeof tolerance === 'number') return (statusOf(output) ?? output) === tolerance;
  if (typeof tolerance === 'string') return output === substitute(tolerance, configuration);
  if (Array.isArray(tolerance)) {
    const status = statusOf(output);
    if (status !== undefined) return tolerance.includes(status as never);
    // Two values are bounds (inclusive); more are the accepted values (documented, and chaoslib's order).
    if (tolerance.length === 2) return between(tolerance[0], output, tolerance[1]);
    return tolerance.some((accepted) => isDeepStrictEqual(accepted, output));
  }
  if (tolerance.type === 'regex') {
    const value = targeted(output, tolerance.target);
    // JavaScript's RegExp stands in for Python's re: the common syntax is the same.
    return typeof value === 'string' && new RegExp(substitute(tolerance.pattern, configuration)).test(value);
  }
  if (tolerance.type === 'jsonpath') {
    let value = targeted(output, tolerance.target);
    if (typeof value === 'string') {
      try {
        value = JSON.parse(value);
      } catch {
        // Not JSON: matched as it is, so nothing below a string is found.
      }
    }
    const values = jsonPathValues(value, substitute(tolerance.path, configuration));
    if (tolerance.expect !== undefined) {
      // chaoslib: `expect` replaces `count`; a scalar must be the only value found.
      const expect = substitute(tolerance.expect, configuration);
      return isDeepStrictEqual(values, Array.isArray(expect) ? expect : [expect]);
    }
    return tolerance.count !== undefined ? values.length === tolerance.count : values.length > 0;
  }
  // range: the documentation tests an output's status when no target is given (chaoslib would crash on the object).
  const value = asNumber(tolerance.target === undefined ? (statusOf(output) ?? output) : targeted(output, tolerance.target));
  return value !== undefined && tolerance.range[0] <= value && value <= tolerance.range[1];
}
