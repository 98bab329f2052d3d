/**
 * The run's chart, drawn by Vega-Lite and rendered to SVG by Vega's headless renderer, in three
 * panels on one time axis: the timeline (when the faults and latency were on, then each check
 * and activity); every write from sent to answered; this run's products and the queues. The
 * fault and latency windows are bands across every panel, labels stay inside the frame, no text
 * is under 12 px, and a failed reading is a gap. Okabe–Ito colours (colour-blind safe), and
 * every colour is also said in words.
 */
import type { Journal } from '../runner/journal';
import {
  answerBars,
  FONT_SIZE,
  labelSide,
  RESULT_COLOURS,
  SERIES_NAMES,
  seriesData,
  SPAN_LIMIT,
  textWidth,
  timelineRows,
  WIDTH,
  WINDOW_COLOURS,
  windowRows,
  WRITE_COLOURS,
  writeRows,
} from './chart-data';
import { extrasOf } from './model';
import { faultWindows, marks as markTimes } from './windows';

type Spec = Record<string, unknown>;

const SERIES_STYLE: Record<string, { colour: string; dash: number[]; width: number }> = {
  [SERIES_NAMES.accepted]: { colour: '#777777', dash: [4, 3], width: 1.5 },
  [SERIES_NAMES.holding]: { colour: '#0072B2', dash: [1, 0], width: 2.5 },
  [SERIES_NAMES.queue]: { colour: '#E69F00', dash: [1, 0], width: 2 },
  [SERIES_NAMES.dlq]: { colour: '#CC79A7', dash: [6, 3], width: 2 },
};

/** Labels placed by labelSide: one layer per side, as Vega-Lite takes the alignment from the mark, not the data. */
function sideLabels(values: Array<{ x: number; align: 'left' | 'right' }>, x: Spec, y: Spec, extra: Spec = {}): Spec[] {
  return (['left', 'right'] as const).map((align) => ({
    data: { values: values.filter((v) => v.align === align) },
    mark: { type: 'text', align, baseline: 'middle', dx: align === 'left' ? 4 : -4, fontSize: FONT_SIZE, color: '#222', limit: WIDTH - 8, ...extra },
    encoding: { x: { field: 'x', ...x }, y, text: { field: 'text' } },
  }));
}

export function chartSpec(journal: Journal): Spec {
  const { bars, checks } = timelineRows(journal);
  const fault = faultWindows(journal);
  const windows = windowRows(fault);
  const moments = markTimes(journal, fault).map((m) => ({ ...m, t: m.t / 1000 }));
  const extras = extrasOf(journal);
  const writes = writeRows(journal);
  const samples = extras.series ?? [];
  const endS = Math.max(
    journal.duration,
    ...bars.map((b) => b.end),
    ...checks.map((c) => c.end),
    ...writes.map((w) => w.answered),
    ...samples.map((s) => s.t / 1000),
  );
  // A little room past the last reading, so its dot is not cut in half by the edge.
  const domainEnd = Math.ceil(endS + 0.5);
  const hasSeries = samples.length > 0;
  const hasWrites = writes.length > 0;
  // About a dozen ticks whatever the run's length: at 12 px, more would touch.
  const x = { type: 'quantitative', title: 'seconds since the start of the run', scale: { domain: [0, domainEnd], nice: false }, axis: { tickCount: 12 } };
  // Only the bottom panel names the time axis.
  const noX = { ...x, axis: { title: null, grid: true, tickCount: 12 } };
  const last = hasSeries ? 'series' : hasWrites ? 'writes' : 'timeline';
  const xOf = (panel: typeof last) => (panel === last ? x : noX);

  // The windows as bands across a panel, and the marked moments as dashed rules.
  // One layer per kind with its colour fixed: a colour encoding here would clash with the panel's legend.
  const byKind = (layer: (kind: 'fault' | 'latency', colour: string) => Spec): Spec[] =>
    (['fault', 'latency'] as const).filter((kind) => windows.some((w) => w.kind === kind)).map((kind) => layer(kind, WINDOW_COLOURS[kind]));
  // Named per panel and kind, so a reader of the SVG finds them.
  const bands = (panel: string, xAxis: Spec): Spec[] =>
    byKind((kind, colour) => ({
      name: `${panel}_${kind}_bands`,
      data: { values: windows.filter((w) => w.kind === kind) },
      mark: { type: 'rect', color: colour, opacity: kind === 'fault' ? 0.12 : 0.3 },
      encoding: { x: { field: 'start', ...xAxis }, x2: { field: 'end' } },
    }));
  const rules = (xAxis: Spec): Spec => ({
    data: { values: moments },
    mark: { type: 'rule', color: '#222', strokeDash: [3, 3], strokeWidth: 1.2 },
    encoding: { x: { field: 't', ...xAxis } },
  });

  const laneNames = [...new Set(windows.map((w) => w.lane))];
  const momentRow = moments.length > 0 ? ['moments'] : [];
  const rowNames = [...laneNames, ...momentRow, ...bars.map((b) => b.row), ...new Set(checks.map((c) => c.row))];
  const y = { field: 'row', type: 'nominal', title: null, sort: rowNames, scale: { domain: rowNames }, axis: { labelLimit: 330, ticks: false, domain: false } };
  const resultColour = {
    field: 'result',
    type: 'nominal',
    title: null,
    scale: { domain: Object.keys(RESULT_COLOURS), range: Object.values(RESULT_COLOURS) },
    legend: { orient: 'top', direction: 'horizontal', symbolType: 'square' },
  };
  const tX = xOf('timeline');
  const barLabels = bars
    .filter((b) => b.label !== '')
    .map((b) => ({ row: b.row, text: b.label, ...labelSide(b.label, b.end, b.start, domainEnd) }))
    .concat(checks.filter((c) => c.label !== '').map((c) => ({ row: c.row, text: c.label, ...labelSide(c.label, c.end, c.start, domainEnd) })));
  const windowLabels = windows.map((w) => ({ row: w.lane, text: w.label, ...labelSide(w.label, w.start, w.end, domainEnd) }));
  const momentLabels = moments.map((m) => ({ row: 'moments', text: m.label, ...labelSide(m.label, m.t, m.t, domainEnd) }));
  const timeline = {
    width: WIDTH,
    height: Math.max(1, rowNames.length) * 24,
    title: { text: 'When the faults were on, and each check and activity', anchor: 'start' },
    layer: [
      ...bands('timeline', tX),
      ...byKind((kind, colour) => ({
        data: { values: windows.filter((w) => w.kind === kind) },
        mark: { type: 'bar', height: 16, color: colour, opacity: kind === 'fault' ? 0.6 : 0.9 },
        encoding: { x: { field: 'start', ...tX }, x2: { field: 'end' }, y: { ...y, field: 'lane' } },
      })),
      { data: { values: bars }, mark: { type: 'bar', height: 14 }, encoding: { x: { field: 'start', ...tX }, x2: { field: 'end' }, y, color: resultColour } },
      {
        data: { values: checks },
        mark: { type: 'point', filled: true, size: 50, opacity: 1 },
        encoding: { x: { field: 'end', ...tX }, y, color: resultColour },
      },
      ...sideLabels([...windowLabels, ...barLabels], tX, y),
      // In the timeline a moment is a tick in its own row, beside its label, crossing no other.
      ...(moments.length > 0
        ? [
            {
              data: { values: moments.map((m) => ({ ...m, row: 'moments' })) },
              mark: { type: 'tick', orient: 'vertical', color: '#222', thickness: 1.5 },
              encoding: { x: { field: 't', ...tX }, y },
            },
            ...sideLabels(momentLabels, tX, y, { fontStyle: 'italic' }),
          ]
        : []),
    ],
  };
  const panels: Spec[] = [timeline];

  if (hasWrites) {
    const wX = xOf('writes');
    const colour = {
      field: 'status',
      type: 'nominal',
      title: null,
      scale: { domain: Object.keys(WRITE_COLOURS), range: Object.values(WRITE_COLOURS) },
      legend: { orient: 'top', direction: 'horizontal', symbolType: 'square', symbolOpacity: 1 },
    };
    const spans = writes.length <= SPAN_LIMIT;
    const height = spans ? Math.min(220, Math.max(80, writes.length * 4)) : 140;
    const thickness = Math.max(1, Math.min(4, (height / Math.max(writes.length, 1)) * 0.7));
    const yRow = {
      field: 'row',
      type: 'quantitative',
      title: 'writes, in the order sent',
      scale: { domain: [-0.5, writes.length - 0.5], reverse: true, nice: false, zero: false },
      axis: { labels: false, ticks: false, grid: false },
    };
    const layers: Spec[] = spans
      ? [
          {
            data: { values: writes },
            mark: { type: 'rule', strokeWidth: thickness, strokeCap: 'butt' },
            encoding: { x: { field: 'sent', ...wX }, x2: { field: 'answered' }, y: yRow, color: colour },
          },
          {
            data: { values: writes },
            mark: { type: 'square', size: Math.max(8, thickness * thickness * 2.5), opacity: 1 },
            encoding: { x: { field: 'answered', ...wX }, y: yRow, color: colour },
          },
        ]
      : [
          {
            data: { values: answerBars(journal) },
            mark: { type: 'bar', stroke: 'white', strokeWidth: 0.5 },
            encoding: {
              x: { field: 'second', ...wX },
              x2: { field: 'next' },
              y: { field: 'base', type: 'quantitative', title: 'answers', axis: { tickMinStep: 1, format: 'd' } },
              y2: { field: 'top' },
              color: colour,
            },
          },
        ];
    panels.push({
      width: WIDTH,
      height,
      title: {
        text: spans ? 'Every write to the API, in the order sent: a line from sent to answered' : 'API answers per second, counted when each answer arrived',
        anchor: 'start',
      },
      layer: [...bands('writes', wX), ...layers, rules(wX)],
    });
  }

  if (hasSeries) {
    const sX = xOf('series');
    const names = Object.values(SERIES_NAMES);
    const styled = (field: 'colour' | 'dash') => names.map((name) => SERIES_STYLE[name]?.[field]);
    const colour = {
      field: 'series',
      type: 'nominal',
      title: null,
      scale: { domain: names, range: styled('colour') },
      legend: { orient: 'top', direction: 'horizontal', columns: 2, symbolType: 'stroke', symbolStrokeWidth: 2.5, symbolSize: 400, labelLimit: 320 },
    };
    const dash = { field: 'series', type: 'nominal', title: null, scale: { domain: names, range: styled('dash') } };
    const yCount = { field: 'value', type: 'quantitative', title: 'count', axis: { tickMinStep: 1, format: 'd' } };
    const { lines, dots } = seriesData(journal, endS * 1000);
    panels.push({
      width: WIDTH,
      height: 180,
      title: {
        text: 'This run’s products, and the messages waiting in the queues',
        subtitle: 'A gap: no reading (it failed, or latency slowed it). A dot: the last reading before a gap.',
        anchor: 'start',
      },
      layer: [
        ...bands('series', sX),
        ...lines.map((values, i) => ({
          name: `line_${Object.keys(SERIES_NAMES)[i] ?? i}`,
          data: { values },
          mark: { type: 'line', interpolate: 'step-after', strokeCap: 'butt', strokeWidth: SERIES_STYLE[names[i] ?? '']?.width ?? 2 },
          encoding: { x: { field: 't', ...sX }, y: yCount, color: colour, strokeDash: dash },
        })),
        {
          data: { values: dots },
          mark: { type: 'point', filled: true, size: 24, opacity: 1 },
          encoding: { x: { field: 't', ...sX }, y: yCount, color: colour },
        },
        rules(sX),
      ],
    });
  }

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: {
      font: 'sans-serif',
      view: { stroke: '#ccc' },
      axis: { labelFontSize: FONT_SIZE, titleFontSize: FONT_SIZE },
      legend: { labelFontSize: FONT_SIZE, titleFontSize: FONT_SIZE, labelLimit: 320 },
      title: { fontSize: 14, subtitleFontSize: FONT_SIZE },
      text: { fontSize: FONT_SIZE },
    },
    resolve: { scale: { color: 'independent', strokeDash: 'independent', y: 'independent' } },
    spacing: 22,
    vconcat: panels,
  };
}

/**
 * Renders a Vega-Lite spec to SVG (Vega and Vega-Lite ship as ES modules only), measuring text
 * with textWidth: Vega takes a text measure of one's own where there is no canvas.
 */
export async function renderSvg(spec: Spec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  // Vega's typings leave textMetrics out; its renderer calls a width set here (as vl-convert's does).
  const metrics = (vega as unknown as { textMetrics: { width: (item: { fontSize?: number; limit?: number }, text?: unknown) => number } }).textMetrics;
  metrics.width = (item, text) => {
    const width = textWidth(String(text ?? ''), item.fontSize ?? 11);
    return item.limit && item.limit > 0 ? Math.min(width, item.limit) : width;
  };
  const { spec: compiled } = vegaLite.compile(spec as never);
  return new vega.View(vega.parse(compiled), { renderer: 'none' }).toSVG();
}

export const renderChart = (journal: Journal) => renderSvg(chartSpec(journal));
