/** The chart's reading series: lines broken where a reading is missing, and dots at their ends. */

/** Readings further apart than this are not joined by a line: nobody looked in between. */
export const MAX_GAP_MS = 1_000;

/** One reading of the series the chart draws: a null where the reading failed. */
export interface SeriesSample {
  /** When the readings came back, in ms since the start of the run. */
  t: number;
  queue: number | null;
  dlq: number | null;
  upToDate: number | null;
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
export function seriesRows(samples: SeriesSample[], key: 'queue' | 'dlq' | 'upToDate', series: string): { line: SeriesPoint[]; dots: SeriesPoint[] } {
  const line: SeriesPoint[] = [];
  const dots: SeriesPoint[] = [];
  let previous: { t: number; value: number } | undefined;
  for (const sample of samples) {
    const value = sample[key];
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
