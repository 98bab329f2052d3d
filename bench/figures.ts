/** The bench's figures: a distribution of samples or a single value, with a unit, as the table prints them and the JSON file holds them. */
import { percentile } from '../chaos/report/stats';

/** One figure: a distribution of n samples, or a single value (with the target it must not exceed, if any). Numbers, in `unit`. */
export type Result = { name: string; unit: string } & ({ n: number; p50: number; p95: number; p99: number } | { value: number; n?: number; target?: number });

/** A single value, as a section reports it. */
export type Figure = Extract<Result, { value: number }>;

const round = (value: number) => Math.round(value * 100) / 100;

export function show(result: Result): string {
  const unit = result.unit === 'ratio' ? '×' : ` ${result.unit}`;
  const figures =
    'value' in result
      ? `${result.value}${unit}${result.n ? `  n ${result.n}` : ''}${result.target === undefined ? '' : `  (target ≤ ${result.target}${unit})`}`
      : `p50 ${result.p50.toFixed(1)}${unit}  p95 ${result.p95.toFixed(1)}${unit}  p99 ${result.p99.toFixed(1)}${unit}  n ${result.n}`;
  return `  ${result.name.padEnd(58)} ${figures}`;
}

export const distribution = (name: string, ms: number[], unit = 'ms'): Result => ({
  name,
  unit,
  n: ms.length,
  p50: round(percentile(ms, 50)),
  p95: round(percentile(ms, 95)),
  p99: round(percentile(ms, 99)),
});
