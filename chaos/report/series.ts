/** The chart's reading series: lines broken where a reading is missing, and dots at their ends; and this run's accepted products, counted from its writes. */
import { isAccepted, type WriteRecord } from '../probes/records';

/** Readings further apart than this are not joined by a line: nobody looked in between. */
export const MAX_GAP_MS = 1_000;

/** One reading of the target (t: ms since the start of the run; null: the reading failed), counting this run's products only. */
export interface SeriesSample {
  t: number;
  queue: number | null;
  dlq: number | null;
  /** Products with an accepted write by then (absent in a journal from an older runner). */
  accepted?: number;
  /** Of those, the ones the table holds at their newest accepted value. */
  holding?: number | null;
}

const sec = (ms: number) => Math.round(ms) / 1000;

export interface SeriesPoint {
  t: number;
  series: string;
  value: number | null;
}

/**
 * One series' readings as line data: a null row (which breaks the line) wherever a reading
 * failed or two readings are more than MAX_GAP_MS apart; and the readings no line leaves to the
 * right (lone readings, the ends of runs), which the chart marks with a dot.
 */
export function seriesRows(samples: SeriesSample[], key: 'queue' | 'dlq' | 'holding', series: string): { line: SeriesPoint[]; dots: SeriesPoint[] } {
  const line: SeriesPoint[] = [];
  const dots: SeriesPoint[] = [];
  let previous: { t: number; value: number } | undefined;
  for (const sample of samples) {
    const value = sample[key] ?? null;
    if (value === null) {
      if (previous) line.push({ t: sec(sample.t), series, value: null });
      if (previous) dots.push({ t: sec(previous.t), series, value: previous.value });
      previous = undefined;
      continue;
    }
    if (previous && sample.t - previous.t > MAX_GAP_MS) {
      line.push({ t: sec((previous.t + sample.t) / 2), series, value: null });
      dots.push({ t: sec(previous.t), series, value: previous.value });
    }
    line.push({ t: sec(sample.t), series, value });
    previous = { t: sample.t, value };
  }
  if (previous) dots.push({ t: sec(previous.t), series, value: previous.value });
  return { line, dots };
}

/**
 * Products with an accepted write, counted when the first accepted answer for each arrived (ms
 * since `origin`, epoch ms): known from the run's own records, so the line has no gap. It runs
 * from 0 to `endMs`.
 */
export function acceptedRows(writes: WriteRecord[], origin: number, endMs: number, series: string): SeriesPoint[] {
  const seen = new Set<string>();
  const rows: SeriesPoint[] = [{ t: 0, series, value: 0 }];
  for (const write of [...writes].sort((a, b) => a.answeredAt - b.answeredAt)) {
    if (!isAccepted(write) || seen.has(write.id)) continue;
    seen.add(write.id);
    rows.push({ t: sec(write.answeredAt - origin), series, value: seen.size });
  }
  rows.push({ t: sec(endMs), series, value: seen.size });
  return rows;
}
