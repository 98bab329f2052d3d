/**
 * The run's chart, drawn by Vega-Lite and rendered to SVG by Vega's headless renderer (as the
 * built-in experiment's report does): the timeline of checks and activities; the queue, DLQ and
 * table items read during the run; and every write at its answer time, coloured by its status.
 * Okabe–Ito colours (colour-blind safe), and every colour is also said in words.
 */
import type { Journal } from '../runner/journal';
import { seriesRows, type SeriesSample } from './series';
import { extrasOf, methodLines, offset, probeLines, rollbackLines, safeguardLines } from './model';

const WIDTH = 760;

/** The timeline's results: the word is on the bar, the colour repeats it. */
export const RESULT_COLOURS: Record<string, string> = {
  'succeeded / within tolerance': '#009E73',
  'outside tolerance': '#E69F00',
  'failed / could not run': '#D55E00',
};
export const WRITE_COLOURS: Record<string, string> = {
  '200 stored': '#009E73',
  '202 queued': '#E69F00',
  'other: refused or failed': '#D55E00',
};
export const SERIES_NAMES = {
  queue: 'messages in ProductEventsQueue',
  dlq: 'messages in ProductEventsDLQ',
  items: 'items in the Products table',
} as const;
const SERIES_STYLE: Record<string, { colour: string; dash: number[] } | undefined> = {
  [SERIES_NAMES.items]: { colour: '#0072B2', dash: [1, 0] },
  [SERIES_NAMES.queue]: { colour: '#E69F00', dash: [1, 0] },
  [SERIES_NAMES.dlq]: { colour: '#CC79A7', dash: [6, 3] },
};

export const writeClass = (status: number) => (status === 200 ? '200 stored' : status === 202 ? '202 queued' : 'other: refused or failed');

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
  const add = (row: string, start: number, duration: number, result: keyof typeof RESULT_COLOURS, label: string) =>
    // A bar shorter than a pixel still shows.
    bars.push({ row, order: bars.length, start: round(start), end: round(start + Math.max(duration, 0.02)), result, label });
  for (const p of probeLines(journal)) {
    if (!p.run) continue;
    const result =
      p.verdict === 'within tolerance' ? 'succeeded / within tolerance' : p.verdict === 'outside tolerance' ? 'outside tolerance' : 'failed / could not run';
    const word = p.verdict === 'within tolerance' ? '✔ within tolerance' : p.verdict === 'outside tolerance' ? '✘ outside tolerance' : '⚠ could not run';
    add(`hypothesis ${p.phase}: ${p.name}`, offset(journal, p.run.start), p.run.duration, result, word);
  }
  // The method between the two hypothesis checks, in the order the activities started.
  const firstAfter = bars.findIndex((b) => b.row.startsWith('hypothesis after'));
  const method: TimelineRow[] = [];
  for (const a of methodLines(journal)) {
    const run = a.run;
    if (!run) continue;
    method.push({
      row: `${a.type}: ${a.name}`,
      order: 0,
      start: round(offset(journal, run.start)),
      end: round(offset(journal, run.start) + Math.max(run.duration, 0.02)),
      result: a.status === 'succeeded' ? 'succeeded / within tolerance' : 'failed / could not run',
      label: a.status === 'succeeded' ? '✔ succeeded' : '✘ failed',
    });
  }
  method.sort((a, b) => a.start - b.start);
  bars.splice(firstAfter === -1 ? bars.length : firstAfter, 0, ...method);
  for (const r of rollbackLines(journal)) {
    const run = r.run;
    if (!run) continue;
    bars.push({
      row: `rollback: ${r.name}`,
      order: 0,
      start: round(offset(journal, run.start)),
      end: round(offset(journal, run.start) + Math.max(run.duration, 0.02)),
      result: r.status === 'succeeded' ? 'succeeded / within tolerance' : 'failed / could not run',
      label: r.status === 'succeeded' ? '✔ succeeded' : '✘ failed',
    });
  }
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

/** The hypothesis checks' windows (seconds), shaded in every panel. */
export function hypothesisBands(journal: Journal): Array<{ phase: string; start: number; end: number }> {
  return (['before', 'after'] as const).flatMap((phase) => {
    const probes = journal.steady_states[phase]?.probes ?? [];
    const first = probes[0];
    const last = probes.at(-1);
    if (!first || !last) return [];
    return [{ phase: `hypothesis ${phase}`, start: round(offset(journal, first.start)), end: round(offset(journal, last.end)) }];
  });
}

/** Each series' readings as line rows with gaps (null rows) and dots, through seriesRows (series.ts). */
export function seriesData(journal: Journal) {
  const samples = extrasOf(journal).series ?? [];
  const keys = ['items', 'queue', 'dlq'] as const;
  return keys.map((key) => {
    // seriesRows reads one key of each sample; the key read here is carried as `queue`.
    const asSamples: SeriesSample[] = samples.map((s) => ({ t: s.t, queue: s[key] ?? null, dlq: null, upToDate: null }));
    return seriesRows(asSamples, 'queue', SERIES_NAMES[key]);
  });
}

/** Each write: sent and answered in seconds since the journal's start, in the order sent. */
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

export function chartSpec(journal: Journal): Record<string, unknown> {
  const { bars, checks } = timelineRows(journal);
  const bands = hypothesisBands(journal);
  const series = seriesData(journal);
  const writes = writeRows(journal);
  const samples = extrasOf(journal).series ?? [];
  const endS = Math.max(
    journal.duration,
    ...bars.map((b) => b.end),
    ...checks.map((c) => c.end),
    ...writes.map((w) => w.answered),
    ...samples.map((s) => s.t / 1000),
  );
  const domainEnd = Math.ceil(endS + 0.5);
  const x = { type: 'quantitative', title: 'seconds since the start of the run', scale: { domain: [0, domainEnd], nice: false } };
  const hasSeries = samples.length > 0;
  const hasWrites = writes.length > 0;
  // Only the bottom panel names the time axis.
  const noX = { ...x, axis: { title: null, grid: true, labelFontSize: 10 } };
  const tX = hasSeries || hasWrites ? noX : x;
  const sX = hasWrites ? noX : x;
  const shading = (xAxis: Record<string, unknown>) => ({
    data: { values: bands },
    mark: { type: 'rect', color: '#888', opacity: 0.12 },
    encoding: { x: { field: 'start', ...xAxis }, x2: { field: 'end' } },
  });

  const rowNames = [...bars.map((b) => b.row), ...new Set(checks.map((c) => c.row))];
  const resultColour = {
    field: 'result',
    type: 'nominal',
    title: 'result',
    scale: { domain: Object.keys(RESULT_COLOURS), range: Object.values(RESULT_COLOURS) },
    legend: { orient: 'top', direction: 'horizontal', labelFontSize: 11, titleFontSize: 11, symbolType: 'square' },
  };
  const y = { field: 'row', type: 'nominal', title: null, sort: rowNames, axis: { labelLimit: 480, labelFontSize: 11, ticks: false, domain: false } };
  const timeline = {
    width: WIDTH,
    height: Math.max(1, rowNames.length) * 22,
    title: { text: 'Timeline: hypothesis checks, the method, safeguards and rollbacks', anchor: 'start', fontSize: 13 },
    layer: [
      shading(tX),
      {
        data: { values: bars },
        mark: { type: 'bar', height: 13 },
        encoding: { x: { field: 'start', ...tX }, x2: { field: 'end' }, y, color: resultColour },
      },
      {
        data: { values: bars },
        mark: { type: 'text', align: 'left', baseline: 'middle', dx: 4, fontSize: 10, color: '#222' },
        encoding: { x: { field: 'end', ...tX }, y, text: { field: 'label' } },
      },
      {
        data: { values: checks },
        mark: { type: 'point', filled: true, size: 45, opacity: 1 },
        encoding: { x: { field: 'end', ...tX }, y, color: resultColour },
      },
      {
        data: { values: checks.filter((c) => c.label !== '') },
        mark: { type: 'text', align: 'left', baseline: 'middle', dx: 6, fontSize: 10, color: '#222' },
        encoding: { x: { field: 'end', ...tX }, y, text: { field: 'label' } },
      },
    ],
  };
  const panels: Array<Record<string, unknown>> = [timeline];

  if (hasSeries) {
    const names = Object.values(SERIES_NAMES);
    const order = [SERIES_NAMES.items, SERIES_NAMES.queue, SERIES_NAMES.dlq];
    const colour = {
      field: 'series',
      type: 'nominal',
      title: null,
      scale: { domain: names, range: names.map((n) => SERIES_STYLE[n]?.colour) },
      legend: { orient: 'top', direction: 'horizontal', symbolType: 'stroke', symbolStrokeWidth: 2.5, symbolSize: 400, labelFontSize: 11, labelLimit: 300 },
    };
    const dash = { field: 'series', type: 'nominal', title: null, scale: { domain: names, range: names.map((n) => SERIES_STYLE[n]?.dash) } };
    const yCount = { field: 'value', type: 'quantitative', title: 'count', axis: { tickMinStep: 1, format: 'd' } };
    panels.push({
      width: WIDTH,
      height: 170,
      title: {
        text: 'Queue, DLQ and table items during the run',
        subtitle: 'A gap: the reading failed. A dot: the last reading before a gap.',
        anchor: 'start',
        fontSize: 13,
        subtitleFontSize: 10,
      },
      layer: [
        shading(sX),
        // One layer per series, the DLQ last, so it is never hidden under another line at 0.
        ...order.map((name, i) => ({
          data: { values: series[i]?.line ?? [] },
          mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2, strokeCap: 'butt' },
          encoding: { x: { field: 't', ...sX }, y: yCount, color: colour, strokeDash: dash },
        })),
        {
          data: { values: series.flatMap((s) => s.dots) },
          mark: { type: 'point', filled: true, size: 22, opacity: 1 },
          encoding: { x: { field: 't', ...sX }, y: yCount, color: colour },
        },
      ],
    });
  }

  if (hasWrites) {
    const names = Object.keys(WRITE_COLOURS);
    const colour = {
      field: 'status',
      type: 'nominal',
      title: 'write answered',
      scale: { domain: names, range: Object.values(WRITE_COLOURS) },
      legend: { orient: 'top', direction: 'horizontal', labelFontSize: 11, titleFontSize: 11, symbolType: 'square', symbolOpacity: 1, labelLimit: 320 },
    };
    const height = Math.min(220, Math.max(60, writes.length * 4));
    const thickness = Math.max(1, Math.min(3, (height / writes.length) * 0.6));
    const yRow = {
      field: 'row',
      type: 'quantitative',
      title: 'writes, in the order sent',
      scale: { domain: [-0.5, writes.length - 0.5], reverse: true, nice: false, zero: false },
      axis: { labels: false, ticks: false, grid: false, titleFontSize: 10 },
    };
    panels.push({
      width: WIDTH,
      height,
      title: { text: 'Every write, at the time its answer arrived (a thin line from when it was sent)', anchor: 'start', fontSize: 13 },
      layer: [
        shading(x),
        {
          data: { values: writes },
          mark: { type: 'rule', strokeWidth: Math.max(1, thickness / 2), opacity: 0.45 },
          encoding: { x: { field: 'sent', ...x }, x2: { field: 'answered' }, y: yRow, color: colour },
        },
        {
          data: { values: writes },
          mark: { type: 'square', size: Math.max(10, thickness * thickness * 4), opacity: 1 },
          encoding: { x: { field: 'answered', ...x }, y: yRow, color: colour },
        },
      ],
    });
  }

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: { font: 'sans-serif', view: { stroke: '#ccc' }, axis: { labelFontSize: 10, labelLimit: 340 }, legend: { labelLimit: 340 } },
    resolve: { scale: { color: 'independent', strokeDash: 'independent', y: 'independent' } },
    spacing: 22,
    vconcat: panels,
  };
}

/** Renders a Vega-Lite spec to SVG (Vega and Vega-Lite ship as ES modules only). */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const { spec: compiled } = vegaLite.compile(spec as never);
  return new vega.View(vega.parse(compiled), { renderer: 'none' }).toSVG();
}

export const renderChart = (journal: Journal) => renderSvg(chartSpec(journal));
