/**
 * The experiment's report folder: journal.json (every step, request and sample), chart.svg (the
 * run over time, drawn by Vega-Lite) and report.md (verdicts, summary and the chart), plus
 * `latest` beside the folders, pointing at the newest one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_GAP_MS, type SeriesPoint, seriesRows } from '../../chaos/report/series';
import type { Journal, Step, WriteCounts } from './experiment';

const statusLabels: Record<string, string> = { '200': '200 stored', '202': '202 queued', '503': '503 refused', '0': 'no answer' };
const statusColours: Record<string, string> = {
  '200 stored': '#2ca02c',
  '202 queued': '#ff7f0e',
  '503 refused': '#d62728',
  'no answer': '#555555',
  interrupted: '#b0b0b0',
};
const verdictColours: Record<string, string> = { held: '#2ca02c', failed: '#d62728', interrupted: '#7f7f7f', aborted: '#8c564b' };
const windowColours: Record<string, string> = { outage: '#d62728', latency: '#e6a100' };

export const SERIES = {
  accepted: 'products accepted so far',
  upToDate: 'products holding their newest accepted value',
  queue: 'messages in the queue',
  dlq: 'messages in the DLQ',
} as const;
const seriesStyle: Record<string, { colour: string; dash: number[]; width: number }> = {
  [SERIES.accepted]: { colour: '#7f7f7f', dash: [4, 3], width: 1.5 },
  [SERIES.upToDate]: { colour: '#1f77b4', dash: [1, 0], width: 2.5 },
  [SERIES.queue]: { colour: '#ff7f0e', dash: [1, 0], width: 2 },
  [SERIES.dlq]: { colour: '#9467bd', dash: [7, 3], width: 2 },
};

const sec = (ms: number) => Math.round(ms) / 1000;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const statusLabel = (status: number, interrupted = false) => (interrupted ? 'interrupted' : (statusLabels[String(status)] ?? String(status)));

/** Products with an accepted write, counted when the first accepted answer for each arrived: known to the experiment, never a gap. */
export function acceptedRows(journal: Journal, endMs: number): SeriesPoint[] {
  const seen = new Set<string>();
  const rows: SeriesPoint[] = [{ t: 0, series: SERIES.accepted, value: 0 }];
  for (const r of [...journal.requests].sort((a, b) => a.answeredAt - b.answeredAt)) {
    if ((r.status !== 200 && r.status !== 202) || seen.has(r.id)) continue;
    seen.add(r.id);
    rows.push({ t: sec(r.answeredAt), series: SERIES.accepted, value: seen.size });
  }
  rows.push({ t: sec(endMs), series: SERIES.accepted, value: seen.size });
  return rows;
}

/** Answers counted per second of arrival, by status, stacked (Vega-Lite does not stack bars that span x to x2). */
export function answerBars(journal: Journal): Array<{ second: number; next: number; status: string; answers: number; base: number; top: number }> {
  const counts = new Map<string, { second: number; next: number; status: string; answers: number }>();
  for (const r of journal.requests) {
    const second = Math.floor(r.answeredAt / 1000);
    const status = statusLabel(r.status, r.interrupted);
    const entry = counts.get(`${second}/${status}`) ?? { second, next: second + 1, status, answers: 0 };
    entry.answers += 1;
    counts.set(`${second}/${status}`, entry);
  }
  const order = (status: string) => {
    const known = Object.keys(statusColours).indexOf(status);
    return known === -1 ? 2.5 : known;
  };
  const stackTop = new Map<number, number>();
  return [...counts.values()]
    .sort((a, b) => a.second - b.second || order(a.status) - order(b.status) || a.status.localeCompare(b.status))
    .map((entry) => {
      const base = stackTop.get(entry.second) ?? 0;
      stackTop.set(entry.second, base + entry.answers);
      return { ...entry, base, top: base + entry.answers };
    });
}

/** Above this many writes the chart counts answers per second instead of drawing each write. */
export const SPAN_LIMIT = 300;

interface Panel {
  width: number;
  height: number;
  title: Record<string, unknown>;
  layer: Array<Record<string, unknown>>;
}

/** Each write as a span from sent to answered, a square at the answer, one row per write in the order sent. */
export function spanRows(journal: Journal): Array<{ row: number; sent: number; answered: number; status: string; step: string }> {
  return [...journal.requests]
    .sort((a, b) => a.t - b.t)
    .map((r, row) => ({
      row,
      sent: sec(r.t),
      answered: sec(r.answeredAt),
      status: statusLabel(r.status, r.interrupted),
      step: r.phase ? `${r.step} (${r.phase})` : r.step,
    }));
}

function spanPanel(journal: Journal, x: Record<string, unknown>, color: Record<string, unknown>): Panel {
  const rows = spanRows(journal);
  const height = 150;
  const y = {
    field: 'row',
    type: 'quantitative',
    title: 'writes',
    scale: { domain: [-0.5, Math.max(rows.length, 1) - 0.5], reverse: true, nice: false, zero: false },
    axis: { labels: false, ticks: false, grid: false, titleFontSize: 10 },
  };
  const thickness = Math.max(1, Math.min(4, (height / Math.max(rows.length, 1)) * 0.7));
  return {
    width: 720,
    height,
    title: { text: 'Each write to the API, in the order sent: a line from sent to answered, coloured by its answer', anchor: 'start', fontSize: 12 },
    layer: [
      {
        data: { values: rows },
        mark: { type: 'rule', strokeWidth: thickness, strokeCap: 'butt' },
        encoding: { x: { field: 'sent', ...x }, x2: { field: 'answered' }, y, color },
      },
      {
        data: { values: rows },
        mark: { type: 'square', size: Math.max(6, thickness * thickness * 2.5), opacity: 1 },
        encoding: { x: { field: 'answered', ...x }, y, color },
      },
    ],
  };
}

function ratePanel(journal: Journal, x: Record<string, unknown>, color: Record<string, unknown>): Panel {
  return {
    width: 720,
    height: 130,
    title: { text: 'API answers per second, counted when each answer arrived', anchor: 'start', fontSize: 12 },
    layer: [
      {
        data: { values: answerBars(journal) },
        mark: { type: 'bar', stroke: 'white', strokeWidth: 0.5 },
        encoding: {
          x: { field: 'second', ...x },
          x2: { field: 'next' },
          y: { field: 'base', type: 'quantitative', title: 'answers', axis: { tickMinStep: 1, format: 'd' } },
          y2: { field: 'top' },
          color,
        },
      },
    ],
  };
}

const verdictText = (step: Step) => `${step.name}: ${step.verdict === 'held' ? 'held' : step.verdict.toUpperCase()}`;

function subtitle(journal: Journal): string {
  const s = journal.summary;
  if (journal.status === 'interrupted')
    return `Interrupted (Ctrl-C) during ${journal.steps.at(-1)?.name ?? 'the run'}; not run: ${s.notRun.join(', ') || 'none'}.`;
  if (journal.status === 'aborted') return `Aborted during ${journal.steps.at(-1)?.name ?? 'the run'} by a target or tool error.`;
  if (journal.status === 'failed') return 'The steady state did not hold before any fault: nothing was injected.';
  return s.held ? 'Every hypothesis held.' : `Hypotheses that failed: ${s.failedHypotheses.join(', ')}.`;
}

/** Two short lines (Vega estimates text widths generously without a canvas, and would widen the chart). */
function endState(journal: Journal): string[] {
  const p = journal.summary.products;
  if (p.upToDate === null) return ['At the end the table could not be read.'];
  return [
    `At the end: ${p.upToDate} of ${p.accepted} accepted products hold their newest value;`,
    `${p.pending} not yet applied (still in a queue), ${p.deadLettered} dead-lettered, ${p.lost} lost.`,
  ];
}

/**
 * A Vega-Lite spec in three panels on one time axis: the steps with their verdicts and the
 * fault windows; API answers per second of arrival, by status; this run's products and the
 * queues. Fault windows are shaded in every panel; dashed rules mark recovery.
 */
export function chartSpec(journal: Journal): Record<string, unknown> {
  const endMs = Math.max(
    journal.duration,
    ...journal.samples.map((s) => s.t),
    ...journal.requests.map((r) => r.answeredAt),
    ...journal.steps.map((s) => s.endedAt),
  );
  // A little room past the last reading, so its dot is not cut in half by the edge.
  const domainEnd = Math.ceil(endMs / 1000 + 0.3);
  const x = { type: 'quantitative', title: 'seconds since start', scale: { domain: [0, domainEnd], nice: false } };
  const noX = { ...x, axis: { labels: false, ticks: false, title: null, grid: true } };
  const windows = journal.faultWindows.map((w) => ({
    kind: w.kind,
    label: w.label,
    start: sec(w.start),
    end: sec(w.end),
    fill: windowColours[w.kind] ?? '#d62728',
    // A window in the last quarter is labelled from its right end, so the label stays inside the chart.
    labelAt: sec(w.start) > domainEnd * 0.72 ? 'end' : 'start',
  }));
  const marks = journal.marks.map((m, i) => {
    const labelY = i % 2 === 0 ? 78 : 90;
    return { t: sec(m.t), label: m.label, labelY, ruleTop: labelY - 6, ruleBottom: labelY + 6 };
  });
  const steps = journal.steps.map((s, i) => ({
    label: verdictText(s),
    start: sec(s.startedAt),
    // A step shorter than a pixel still shows.
    end: Math.max(sec(s.endedAt), sec(s.startedAt) + 0.05),
    fill: verdictColours[s.verdict] ?? '#7f7f7f',
    // Labels alternate above and below the bars, so neighbouring short steps do not overwrite each other.
    labelY: i % 2 === 0 ? 11 : 41,
  }));
  const raw = (field: string) => ({ field, type: 'nominal', scale: null, legend: null });
  // One layer per kind of window with a fixed colour: a colour encoding here would clash with the panel's legend.
  const shading = (xAxis: Record<string, unknown>) =>
    Object.entries(windowColours).map(([kind, colour]) => ({
      data: { values: windows.filter((w) => w.kind === kind) },
      mark: { type: 'rect', opacity: 0.13, color: colour },
      encoding: { x: { field: 'start', ...xAxis }, x2: { field: 'end' } },
    }));
  const rules = (xAxis: Record<string, unknown>, inTimeline = false) => ({
    data: { values: marks },
    mark: { type: 'rule', color: '#222', strokeDash: [3, 3], strokeWidth: 1.2 },
    // In the timeline a rule is only a tick beside its own label, so it never crosses another label.
    encoding: {
      x: { field: 't', ...xAxis },
      ...(inTimeline ? { y: { field: 'ruleTop', type: 'quantitative', scale: null }, y2: { field: 'ruleBottom' } } : {}),
    },
  });

  const timeline = {
    width: 720,
    height: 98,
    title: { text: 'Steps with their verdicts, and the faults', anchor: 'start', fontSize: 12 },
    layer: [
      {
        data: { values: steps },
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: { x: { field: 'start', ...noX }, x2: { field: 'end' }, y: { value: 15 }, y2: { value: 30 }, color: raw('fill') },
      },
      {
        data: { values: steps },
        mark: { type: 'text', align: 'left', baseline: 'middle', dx: 1, fontSize: 10, fontWeight: 'bold' },
        encoding: { x: { field: 'start', ...noX }, y: { field: 'labelY', type: 'quantitative', scale: null }, text: { field: 'label' }, color: raw('fill') },
      },
      {
        data: { values: windows },
        mark: { type: 'rect', opacity: 0.35 },
        encoding: { x: { field: 'start', ...noX }, x2: { field: 'end' }, y: { value: 51 }, y2: { value: 65 }, color: raw('fill') },
      },
      ...(['start', 'end'] as const).map((at) => ({
        data: { values: windows.filter((w) => w.labelAt === at) },
        mark: { type: 'text', align: at === 'start' ? 'left' : 'right', baseline: 'middle', dx: at === 'start' ? 3 : -3, fontSize: 10, color: '#4a1010' },
        encoding: { x: { field: at, ...noX }, y: { value: 58 }, text: { field: 'label' } },
      })),
      rules(noX, true),
      {
        data: { values: marks },
        mark: { type: 'text', align: 'left', baseline: 'middle', dx: 3, fontSize: 10, fontStyle: 'italic', color: '#222' },
        encoding: { x: { field: 't', ...noX }, y: { field: 'labelY', type: 'quantitative', scale: null }, text: { field: 'label' } },
      },
      {
        data: {
          values: [
            { row: 'steps', y: 22 },
            { row: 'faults', y: 58 },
          ],
        },
        mark: { type: 'text', align: 'right', baseline: 'middle', dx: -6, fontSize: 10, color: '#555' },
        encoding: { x: { value: 0 }, y: { field: 'y', type: 'quantitative', scale: null }, text: { field: 'row' } },
      },
    ],
  };

  const known = Object.keys(statusColours);
  const statusOrder = (status: string) => (known.includes(status) ? known.indexOf(status) : 2.5);
  const statuses = [...new Set(journal.requests.map((r) => statusLabel(r.status, r.interrupted)))].sort(
    (a, b) => statusOrder(a) - statusOrder(b) || a.localeCompare(b),
  );
  const extraColours = ['#e377c2', '#8c564b', '#bcbd22', '#17becf', '#393b79'];
  const statusColour = {
    field: 'status',
    type: 'nominal',
    title: 'answer',
    scale: { domain: statuses, range: statuses.map((s, i) => statusColours[s] ?? extraColours[i % extraColours.length]) },
  };
  const answers = journal.requests.length <= SPAN_LIMIT ? spanPanel(journal, noX, statusColour) : ratePanel(journal, noX, statusColour);
  answers.layer.unshift(...shading(noX));
  answers.layer.push(rules(noX));

  const seriesNames = Object.values(SERIES);
  const styled = (field: 'colour' | 'dash') => seriesNames.map((name) => seriesStyle[name]?.[field]);
  const seriesEncoding = {
    color: {
      field: 'series',
      type: 'nominal',
      title: null,
      scale: { domain: seriesNames, range: styled('colour') },
      legend: {
        orient: 'bottom',
        direction: 'vertical',
        columns: 2,
        symbolType: 'stroke',
        symbolStrokeWidth: 2.5,
        symbolSize: 500,
        labelLimit: 400,
        columnPadding: 24,
      },
    },
    strokeDash: { field: 'series', type: 'nominal', title: null, scale: { domain: seriesNames, range: styled('dash') } },
  };
  const y = { field: 'value', type: 'quantitative', title: 'count', axis: { tickMinStep: 1, format: 'd' } };
  const readings = (['upToDate', 'queue', 'dlq'] as const).map((key) => seriesRows(journal.samples, key, SERIES[key]));
  // One layer per series, in this order, so the DLQ line is drawn last and never hidden under another at 0.
  const lines = [acceptedRows(journal, endMs), ...readings.map((r) => r.line)].map((values, i) => ({
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeCap: 'butt', strokeWidth: seriesStyle[seriesNames[i] ?? '']?.width ?? 2 },
    encoding: { x: { field: 't', ...x }, y, ...seriesEncoding },
  }));
  const state = {
    width: 720,
    height: 200,
    title: {
      text: 'This run’s products, and messages waiting in the queues',
      // Two short lines: without a canvas, Vega estimates text widths generously and would widen the chart.
      subtitle: [
        `A line joins readings less than ${MAX_GAP_MS / 1000} s apart; a gap means there was no reading`,
        '(a failed read, or one slowed by latency); a dot is the last reading before a gap.',
      ],
      anchor: 'start',
      fontSize: 12,
      subtitleFontSize: 10,
    },
    layer: [
      ...shading(x),
      ...lines,
      {
        data: { values: readings.flatMap((r) => r.dots) },
        mark: { type: 'point', filled: true, size: 22, opacity: 1 },
        encoding: { x: { field: 't', ...x }, y, color: seriesEncoding.color },
      },
      rules(x),
    ],
  };

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Chaos experiment ${journal.runId} against ${journal.endpoint}`, subtitle: [subtitle(journal), ...endState(journal)], anchor: 'start' },
    config: { font: 'sans-serif', view: { stroke: '#ccc' }, legend: { labelLimit: 320 }, axis: { labelFontSize: 10 } },
    // Each panel has its own colour legend: statuses in the middle, series below.
    resolve: { scale: { color: 'independent', strokeDash: 'independent' } },
    spacing: 14,
    vconcat: [timeline, answers, state],
  };
}

export async function renderChart(journal: Journal): Promise<string> {
  // Vega and Vega-Lite ship as ES modules only.
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const { spec } = vegaLite.compile(chartSpec(journal) as never);
  return new vega.View(vega.parse(spec), { renderer: 'none' }).toSVG();
}

const pad = (text: string, width: number) => text.padEnd(width);
const padLeft = (text: string, width: number) => text.padStart(width);

export function verdictSentence(journal: Journal): string {
  const s = journal.summary;
  const failed = s.failedHypotheses.length > 0 ? ` Hypotheses that failed: ${s.failedHypotheses.join(', ')}.` : '';
  const notRun = s.notRun.length > 0 ? ` Not run: ${s.notRun.join(', ')}.` : '';
  const last = journal.steps.at(-1);
  switch (journal.status) {
    case 'interrupted':
      return `Interrupted (Ctrl-C) during the ${last?.name ?? 'first'} step.${failed}${notRun}`;
    case 'aborted':
      return `Aborted during the ${last?.name} step by a target or tool error: ${last?.details}.${failed}${notRun}`;
    case 'failed':
      return `The steady state did not hold before any fault (preflight failed), so nothing was injected.${notRun}`;
    default:
      return s.held ? 'Every hypothesis held.' : `Hypotheses that failed: ${s.failedHypotheses.join(', ')}.`;
  }
}

function latencyText(counts: WriteCounts): string {
  const { p50, p95, max } = counts.latencyMs;
  return `${p50}/${p95}/${max}`;
}

/** The writes of each step, as a table. */
export function writeTable(journal: Journal): { head: string[]; rows: string[][] } {
  return {
    head: [
      'writes',
      'sent',
      '200 stored',
      '202 queued',
      'failed',
      ...(journal.status === 'interrupted' ? ['interrupted'] : []),
      'p50/p95/max ms',
      'products holding newest value',
    ],
    rows: journal.summary.writes.map((w) => [
      w.group,
      String(w.writes),
      String(w.stored),
      String(w.queued),
      w.failed === 0
        ? '0'
        : `${w.failed} (${Object.entries(w.byStatus)
            .filter(([status]) => !['200', '202', 'interrupted'].includes(status))
            .map(([status, n]) => `${status}: ${n}`)
            .join(', ')})`,
      ...(journal.status === 'interrupted' ? [String(w.interrupted)] : []),
      latencyText(w),
      w.upToDateAtEnd === null ? `? of ${w.products}` : `${w.upToDateAtEnd} of ${w.products}`,
    ]),
  };
}

/** Where the accepted products stood at the end, and the recovery time, as label/value rows. */
export function summaryRows(journal: Journal): Array<[string, string]> {
  const p = journal.summary.products;
  const known = p.upToDate !== null && p.pending !== null && p.deadLettered !== null && p.lost !== null;
  const state = known
    ? [
        ['products accepted (200 or 202)', String(p.accepted)],
        ['hold their newest value', String(p.upToDate)],
        ['not yet applied (still in a queue)', String(p.pending)],
        ['dead-lettered (in the DLQ, needs a redrive)', String(p.deadLettered)],
        ['lost (no message left to bring them)', String(p.lost)],
      ]
    : [
        ['products accepted (200 or 202)', String(p.accepted)],
        ['where they stand', 'unknown: the target could not be read at the end'],
      ];
  const recovery =
    journal.summary.recoveryMs === null
      ? journal.steps.some((s) => s.name === 'recovery')
        ? 'did not recover in time'
        : 'not measured'
      : `${seconds(journal.summary.recoveryMs)} after the outage ended`;
  return [
    ...(state as Array<[string, string]>),
    ['queue / DLQ at the end', `${p.queue ?? '?'} / ${p.dlq ?? '?'} messages (at ${seconds(p.at)})`],
    ['time to recover', recovery],
  ];
}

export function cleanupSentence(journal: Journal): string | undefined {
  const { removed, failed } = journal.cleanup;
  const parts: string[] = [];
  if (removed.length > 0) parts.push(`Removed what this run had left active: ${removed.join('; ')}.`);
  else if (journal.status === 'interrupted' || journal.status === 'aborted')
    parts.push('Nothing this run added was still active: no fault rule or latency to remove.');
  if (failed.length > 0) parts.push(`Could not remove: ${failed.join('; ')}. End them with \`npm run chaos -- --help\` (its end and latency commands).`);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

export function summaryText(journal: Journal): string {
  const width = journal.steps.some((s) => s.verdict === 'interrupted') ? 11 : 7;
  const lines = journal.steps.map((step) => `  ${pad(step.verdict.toUpperCase(), width)} ${pad(step.name, 10)} ${step.details}`);
  for (const name of journal.summary.notRun) lines.push(`  ${pad('NOT RUN', width)} ${name}`);
  const { head, rows: body } = writeTable(journal);
  const table = [head, ...body];
  const widths = head.map((_, column) => Math.max(...table.map((row) => row[column]?.length ?? 0)));
  const tableLines = table.map(
    (row) => `  ${row.map((cell, column) => (column === 0 ? pad(cell, widths[column] ?? 0) : padLeft(cell, widths[column] ?? 0))).join('  ')}`,
  );
  const rows = summaryRows(journal).map(([k, v]) => `  ${pad(k, 44)} ${v}`);
  const cleanup = cleanupSentence(journal);
  return [...lines, '', ...tableLines, '', ...rows, '', verdictSentence(journal), ...(cleanup ? [cleanup] : [])].join('\n');
}

/** How to read the chart, in the report: one bullet per panel, true to what was drawn. */
export function chartLegend(journal: Journal): string[] {
  const writes =
    journal.requests.length <= SPAN_LIMIT
      ? '- **Middle**: every write to the API, one row each in the order sent, drawn from when it was sent to when its answer arrived (the square), coloured by the answer: 200 stored, 202 accepted and queued, interrupted when the run stopped first. A write slowed by latency is a long line inside the amber window.'
      : '- **Middle**: API answers per second, counted in the second each answer arrived (not when the write was sent), by answer: 200 stored, 202 accepted and queued.';
  return [
    '- **Top**: each step as a bar coloured by its verdict (green held, red failed, grey interrupted, brown aborted), labelled with it; below, when the DynamoDB fault (red) and the latency (amber) were active. Dashed rules, in every panel, mark the moments named under them: recovery observed, the latency step’s healthy check passed, Ctrl-C.',
    writes,
    `- **Bottom**: this run’s products accepted so far (grey, dashed: what the table must catch up to), those the table holds at their newest accepted value (blue), and messages in the queue (orange) and in the DLQ (purple, dashed, drawn on top). The blue, orange and purple lines come from readings about four times a second, joined only when less than ${MAX_GAP_MS / 1000} s apart: a gap means there was no reading. During the outage the DynamoDB fault fails most of the experiment’s own table scans too, so the blue line shows as dots; under latency every reading takes the latency. A dot is the last reading before a gap. The grey line is the experiment’s own count and has no gaps.`,
  ];
}

function markdown(journal: Journal, attachments: string[]): string {
  const icon = { held: '✅ held', failed: '❌ failed', interrupted: '⏹ interrupted', aborted: '⚠️ aborted' } as const;
  const steps = journal.steps.map((s) => `| ${s.name} | ${icon[s.verdict]} | ${s.hypothesis} | ${s.details} |`);
  for (const name of journal.summary.notRun) steps.push(`| ${name} | not run | | |`);
  const { head, rows: body } = writeTable(journal);
  const cleanup = cleanupSentence(journal);
  return [
    `# Chaos experiment ${journal.runId}`,
    '',
    `Target: \`${journal.endpoint}\`, started ${journal.startedAt}, ran ${seconds(journal.duration)}; status **${journal.status}**.`,
    '',
    `**${verdictSentence(journal)}**`,
    ...(cleanup ? ['', cleanup] : []),
    '',
    '| step | verdict | hypothesis | observed |',
    '|---|---|---|---|',
    ...steps,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...body.map((row) => `| ${row.join(' | ')} |`),
    '',
    'Each step counts its own writes. The latency step first waits out the circuit breakers’ cooldown and checks, with no fault',
    'active, that writes are stored directly again (its healthy check); only then does it add latency.',
    '',
    '| at the end of the run | |',
    '|---|---|',
    ...summaryRows(journal).map(([k, v]) => `| ${k} | ${v} |`),
    '',
    'A product counts as *holding its newest value* when the table holds the newest value the API accepted for it (or a newer',
    'one). One that does not is *not yet applied* while the queue still holds at least as many messages (they are counted,',
    'not read), *dead-lettered* for those the DLQ can account for, and *lost* beyond both.',
    '',
    '![The run over time](chart.svg)',
    '',
    ...chartLegend(journal),
    '',
    `Files: \`journal.json\` has every request (sent and answered times), sample and step${attachments.length > 0 ? `; ${attachments.map((f) => `\`${f}\``).join(', ')} beside it` : ''}.`,
    '',
  ].join('\n');
}

/** Writes the report folder; `attachments` are extra files (name → content) such as the runtime's log. */
export async function writeReport(dir: string, journal: Journal, attachments: Record<string, string> = {}): Promise<{ dir: string; files: string[] }> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'journal.json'), `${JSON.stringify(journal, null, 2)}\n`);
  writeFileSync(path.join(dir, 'chart.svg'), await renderChart(journal));
  for (const [name, content] of Object.entries(attachments)) writeFileSync(path.join(dir, name), content);
  writeFileSync(path.join(dir, 'report.md'), markdown(journal, Object.keys(attachments)));
  return { dir, files: ['report.md', 'chart.svg', 'journal.json', ...Object.keys(attachments)] };
}
