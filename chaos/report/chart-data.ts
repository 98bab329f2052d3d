/**
 * The chart's data, from the journal: the timeline's bars, the fault and latency windows in
 * their lanes, each write's span, answers per second, the readings' series, and where each
 * label goes so that it stays inside the frame.
 */
import type { Journal } from '../runner/journal';
import { extrasOf, methodLines, offset, probeLines, rollbackLines, safeguardLines } from './model';
import { acceptedRows, type SeriesPoint, seriesRows } from './series';
import { type FaultWindow } from './windows';

/** The plot's width in pixels: with the timeline's row names beside it, the chart fits a report page at full size. */
export const WIDTH = 700;
/** The smallest text the chart draws. */
export const FONT_SIZE = 12;

/**
 * About how wide a sans-serif text is, in pixels: a width per kind of character, close to
 * Arial's. (Vega without a canvas counts 0.8 em for every character, half again too much: it
 * would widen the chart and cut labels short.)
 */
export function textWidth(text: string, fontSize = FONT_SIZE): number {
  let em = 0;
  for (const c of text) {
    if (/[il.,:;'|!]/.test(c)) em += 0.25;
    else if (/[jftr ()[\]/-]/.test(c)) em += 0.33;
    else if (/[mwMW@%]/.test(c)) em += 0.85;
    else if (/[A-Z]/.test(c)) em += 0.68;
    else if (/[0-9a-z_]/.test(c)) em += 0.56;
    else em += 1;
  }
  return Math.ceil(em * fontSize);
}

/**
 * Where a label goes (seconds, and its alignment) so that it stays inside [0, domainEnd]: after
 * `at` (a bar's end); else before `before` (its start), right-aligned; else over the mark,
 * ending at `at`; else from the left edge, cut by the text's limit.
 */
export function labelSide(text: string, at: number, before: number, domainEnd: number): { x: number; align: 'left' | 'right' } {
  const px = (s: number) => (s / domainEnd) * WIDTH;
  const width = textWidth(text) + 4;
  if (px(at) + width <= WIDTH) return { x: at, align: 'left' };
  if (px(before) - width >= 0) return { x: before, align: 'right' };
  if (px(at) - width >= 0) return { x: at, align: 'right' };
  return { x: 0, align: 'left' };
}

/** The timeline's results: the word is on the bar, the colour repeats it. */
export const RESULT_COLOURS: Record<string, string> = {
  'succeeded / within tolerance': '#009E73',
  'outside tolerance': '#E69F00',
  'failed / could not run': '#D55E00',
};

const round = (s: number) => Math.round(s * 1000) / 1000;

export interface TimelineRow {
  row: string;
  order: number;
  start: number;
  end: number;
  result: string;
  label: string;
}

/** Bars of the timeline: hypothesis probes before, the method, hypothesis probes after, rollbacks; safeguard checks apart. */
export function timelineRows(journal: Journal): { bars: TimelineRow[]; checks: TimelineRow[] } {
  const bars: TimelineRow[] = [];
  const span = (start: number, duration: number) => ({ start: round(start), end: round(start + Math.max(duration, 0.02)) });
  for (const p of probeLines(journal)) {
    if (!p.run) continue;
    const result =
      p.verdict === 'within tolerance' ? 'succeeded / within tolerance' : p.verdict === 'outside tolerance' ? 'outside tolerance' : 'failed / could not run';
    const label = p.verdict === 'within tolerance' ? '✔ within tolerance' : p.verdict === 'outside tolerance' ? '✘ outside tolerance' : '⚠ could not run';
    // A bar shorter than a pixel still shows.
    bars.push({ row: `hypothesis ${p.phase}: ${p.name}`, order: 0, ...span(offset(journal, p.run.start), p.run.duration), result, label });
  }
  const ran = (prefix: string, line: { name: string; status: string; run?: { start: string; duration: number } }) =>
    line.run
      ? [
          {
            row: `${prefix}: ${line.name}`,
            order: 0,
            ...span(offset(journal, line.run.start), line.run.duration),
            result: line.status === 'succeeded' ? 'succeeded / within tolerance' : 'failed / could not run',
            label: line.status === 'succeeded' ? '✔ succeeded' : '✘ failed',
          },
        ]
      : [];
  // The method between the two hypothesis checks, in the order the activities started.
  const method = methodLines(journal)
    .flatMap((a) => ran(a.type, a))
    .sort((a, b) => a.start - b.start);
  const firstAfter = bars.findIndex((b) => b.row.startsWith('hypothesis after'));
  bars.splice(firstAfter === -1 ? bars.length : firstAfter, 0, ...method);
  bars.push(...rollbackLines(journal).flatMap((r) => ran('rollback', r)));
  const checks: TimelineRow[] = safeguardLines(journal).flatMap((s) =>
    s.runs.map((run) => ({
      row: `safeguard: ${s.name}`,
      order: 0,
      start: round(offset(journal, run.start)),
      end: round(offset(journal, run.end)),
      result: run.tolerance_met ? 'succeeded / within tolerance' : run.status === 'failed' ? 'failed / could not run' : 'outside tolerance',
      label: run.tolerance_met ? '' : s.tripped ? '✘ stopped the method' : '✘ missed',
    })),
  );
  // Rows keep names unique even when a name repeats (the same probe before and after is told apart by its prefix).
  const seen = new Map<string, number>();
  for (const bar of bars) {
    const n = (seen.get(bar.row) ?? 0) + 1;
    seen.set(bar.row, n);
    if (n > 1) bar.row = `${bar.row} (${n})`;
  }
  bars.forEach((bar, i) => (bar.order = i));
  const rows = new Set(bars.map((b) => b.row));
  checks.forEach((check) => (check.order = rows.size + [...new Set(checks.map((c) => c.row))].indexOf(check.row)));
  return { bars, checks };
}

export const WINDOW_COLOURS: Record<FaultWindow['kind'], string> = { fault: '#D55E00', latency: '#F0E442' };
const LANES: Record<FaultWindow['kind'], string> = { fault: 'faults on', latency: 'latency on' };

export interface WindowRow {
  kind: FaultWindow['kind'];
  lane: string;
  label: string;
  /** Seconds since the start. */
  start: number;
  end: number;
  fill: string;
}

/** The windows in seconds, each in the first lane of its kind where it overlaps no other (lanes "faults on", "faults on (2)", ...). */
export function windowRows(windows: FaultWindow[]): WindowRow[] {
  const lanes: Array<{ kind: string; end: number }> = [];
  return windows.map((w) => {
    let lane = lanes.findIndex((l) => l.kind === w.kind && l.end <= w.start);
    if (lane === -1) lane = lanes.push({ kind: w.kind, end: w.end }) - 1;
    else lanes[lane] = { kind: w.kind, end: w.end };
    const n = lanes.slice(0, lane + 1).filter((l) => l.kind === w.kind).length;
    return {
      kind: w.kind,
      lane: n > 1 ? `${LANES[w.kind]} (${n})` : LANES[w.kind],
      label: w.label,
      start: round(w.start / 1000),
      end: round(w.end / 1000),
      fill: WINDOW_COLOURS[w.kind],
    };
  });
}

export const WRITE_COLOURS: Record<string, string> = {
  '200 stored': '#009E73',
  '202 queued': '#E69F00',
  'other: refused or failed': '#D55E00',
};
export const writeClass = (status: number) => (status === 200 ? '200 stored' : status === 202 ? '202 queued' : 'other: refused or failed');

/** Above this many writes the chart counts answers per second instead of drawing each write. */
export const SPAN_LIMIT = 300;

/** Each write: sent and answered in seconds since the journal's start, one row each in the order sent. */
export function writeRows(journal: Journal): Array<{ row: number; sent: number; answered: number; status: string; id: string; code: number }> {
  const start = Date.parse(journal.start);
  return [...(extrasOf(journal).writes ?? [])]
    .sort((a, b) => a.sentAt - b.sentAt)
    .map((w, row) => ({
      row,
      sent: round((w.sentAt - start) / 1000),
      answered: round((w.answeredAt - start) / 1000),
      status: writeClass(w.status),
      id: w.id,
      code: w.status,
    }));
}

/** Answers counted per second of arrival, by status, stacked (Vega-Lite does not stack bars that span x to x2). */
export function answerBars(journal: Journal): Array<{ second: number; next: number; status: string; answers: number; base: number; top: number }> {
  const start = Date.parse(journal.start);
  const counts = new Map<string, { second: number; next: number; status: string; answers: number }>();
  for (const w of extrasOf(journal).writes ?? []) {
    const second = Math.floor((w.answeredAt - start) / 1000);
    const status = writeClass(w.status);
    const entry = counts.get(`${second}/${status}`) ?? { second, next: second + 1, status, answers: 0 };
    entry.answers += 1;
    counts.set(`${second}/${status}`, entry);
  }
  const order = Object.keys(WRITE_COLOURS);
  const stackTop = new Map<number, number>();
  return [...counts.values()]
    .sort((a, b) => a.second - b.second || order.indexOf(a.status) - order.indexOf(b.status))
    .map((entry) => {
      const base = stackTop.get(entry.second) ?? 0;
      stackTop.set(entry.second, base + entry.answers);
      return { ...entry, base, top: base + entry.answers };
    });
}

export const SERIES_NAMES = {
  accepted: 'products accepted so far',
  holding: 'products holding their newest value',
  queue: 'messages in ProductEventsQueue',
  dlq: 'messages in the DLQ',
} as const;

/**
 * The products and queues panel's series, each in the order drawn (the DLQ last, so it is never
 * hidden under another line at 0): accepted so far from the writes (no gaps), and the readings
 * with their gaps (null rows) and dots; until `endMs`.
 */
export function seriesData(journal: Journal, endMs: number): { lines: SeriesPoint[][]; dots: SeriesPoint[] } {
  const extras = extrasOf(journal);
  const samples = extras.series ?? [];
  const readings = (['holding', 'queue', 'dlq'] as const).map((key) => seriesRows(samples, key, SERIES_NAMES[key]));
  return {
    lines: [acceptedRows(extras.writes ?? [], Date.parse(journal.start), endMs, SERIES_NAMES.accepted), ...readings.map((r) => r.line)],
    dots: readings.flatMap((r) => r.dots),
  };
}
