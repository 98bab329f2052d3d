/**
 * The experiment's report folder: journal.json (every step, request and sample), chart.svg (the
 * run over time, drawn by Vega-Lite) and report.md (verdicts, summary and the chart).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Journal } from './experiment';

/** A Vega-Lite spec: requests per second by status above queue depths and table items, fault windows shaded. */
export function chartSpec(journal: Journal): Record<string, unknown> {
  const seconds = (ms: number) => Math.round(ms / 100) / 10;
  const windows = journal.faultWindows.map((w) => ({ label: w.label, start: seconds(w.start), end: seconds(w.end) }));
  const series = journal.samples.flatMap((s) =>
    (
      [
        ['queue depth', s.queue],
        ['DLQ depth', s.dlq],
        ['products in the table', s.inTable],
      ] as const
    ).flatMap(([series, value]) => (value === null ? [] : [{ t: seconds(s.t), series, value }])),
  );
  // Answers counted per second of sending, as [second, second + 1) bars on the shared time axis.
  const counts = new Map<string, { second: number; next: number; status: string; answers: number }>();
  for (const r of journal.requests) {
    const second = Math.floor(r.t / 1000);
    const status = r.status ? String(r.status) : 'no answer';
    const entry = counts.get(`${second}/${status}`) ?? { second, next: second + 1, status, answers: 0 };
    entry.answers += 1;
    counts.set(`${second}/${status}`, entry);
  }
  // Stacked here rather than by Vega-Lite, which does not stack bars that span x to x2.
  const stackTop = new Map<number, number>();
  const requests = [...counts.values()]
    .sort((a, b) => a.second - b.second || a.status.localeCompare(b.status))
    .map((entry) => {
      const base = stackTop.get(entry.second) ?? 0;
      stackTop.set(entry.second, base + entry.answers);
      return { ...entry, base, top: base + entry.answers };
    });
  const xEnd = seconds(Math.max(0, ...journal.samples.map((s) => s.t), ...journal.requests.map((r) => r.t + r.ms)));
  const x = { type: 'quantitative', title: 'seconds since start', scale: { domain: [0, Math.ceil(xEnd)] } };
  const shading = {
    data: { values: windows },
    mark: { type: 'rect', opacity: 0.15, color: '#d62728' },
    encoding: { x: { field: 'start', ...x }, x2: { field: 'end' } },
  };
  const shadingLabels = {
    data: { values: windows },
    mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 3, color: '#a01010', fontSize: 10 },
    encoding: { x: { field: 'start', ...x }, y: { value: 0 }, text: { field: 'label' } },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Chaos experiment ${journal.runId} against ${journal.endpoint}`,
    config: { font: 'sans-serif', view: { stroke: '#ccc' }, legend: { labelLimit: 220 } },
    // Each panel has its own colour legend: statuses above, series below.
    resolve: { scale: { color: 'independent' } },
    vconcat: [
      {
        width: 720,
        height: 140,
        title: 'API answers per second, by status',
        layer: [
          shading,
          {
            data: { values: requests },
            mark: { type: 'bar', stroke: 'white', strokeWidth: 0.5 },
            encoding: {
              x: { field: 'second', ...x },
              x2: { field: 'next' },
              y: { field: 'base', type: 'quantitative', title: 'answers' },
              y2: { field: 'top' },
              color: { field: 'status', type: 'nominal', scale: { domain: ['200', '202', '503', 'no answer'], range: ['#2ca02c', '#ff7f0e', '#d62728', '#7f7f7f'] } },
            },
          },
          shadingLabels,
        ],
      },
      {
        width: 720,
        height: 200,
        title: 'Queue depth and products in the table',
        layer: [
          shading,
          {
            data: { values: series },
            mark: { type: 'line', interpolate: 'step-after', point: false },
            encoding: {
              x: { field: 't', ...x },
              y: { field: 'value', type: 'quantitative', title: 'count' },
              color: { field: 'series', type: 'nominal', scale: { domain: ['products in the table', 'queue depth', 'DLQ depth'], range: ['#1f77b4', '#ff7f0e', '#9467bd'] } },
            },
          },
          shadingLabels,
        ],
      },
    ],
  };
}

export async function renderChart(journal: Journal): Promise<string> {
  // Vega and Vega-Lite ship as ES modules only.
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const { spec } = vegaLite.compile(chartSpec(journal) as never);
  return new vega.View(vega.parse(spec), { renderer: 'none' }).toSVG();
}

const pad = (text: string, width: number) => text.padEnd(width);

/** The summary as text rows, for the terminal and the Markdown report alike. */
export function summaryRows(journal: Journal): Array<[string, string]> {
  const s = journal.summary;
  return [
    ['requests by outcome', Object.entries(s.requestsByStatus).map(([status, n]) => `${status}: ${n}`).join(', ')],
    ['accepted (200 + 202)', String(s.accepted)],
    ['queued (202)', String(s.queued)],
    ['queue and DLQ drained after the outage', s.drained ? 'yes' : 'no'],
    ['lost', String(s.lost)],
    ['time to recover', s.recoveryMs === null ? 'did not recover' : `${(s.recoveryMs / 1000).toFixed(1)} s`],
    ['API latency p50 / p95 / p99', `${s.latencyMs.p50} / ${s.latencyMs.p95} / ${s.latencyMs.p99} ms`],
  ];
}

export function summaryText(journal: Journal): string {
  const lines = journal.steps.map((step) => `  ${step.held ? 'HELD  ' : 'FAILED'}  ${pad(step.name, 10)} ${step.details}`);
  const rows = summaryRows(journal).map(([k, v]) => `  ${pad(k, 40)} ${v}`);
  const verdict = journal.summary.held ? 'Every hypothesis held.' : `Hypotheses that failed: ${journal.summary.failedHypotheses.join(', ')}.`;
  return [...lines, '', ...rows, '', verdict].join('\n');
}

function markdown(journal: Journal): string {
  const steps = journal.steps.map((s) => `| ${s.name} | ${s.held ? '✅ held' : '❌ failed'} | ${s.hypothesis} | ${s.details} |`);
  const rows = summaryRows(journal).map(([k, v]) => `| ${k} | ${v} |`);
  return [
    `# Chaos experiment ${journal.runId}`,
    '',
    `Target: \`${journal.endpoint}\`, started ${journal.startedAt}.`,
    `**${journal.summary.held ? 'Every hypothesis held.' : `Failed: ${journal.summary.failedHypotheses.join(', ')}.`}**`,
    '',
    '| step | verdict | hypothesis | observed |',
    '|---|---|---|---|',
    ...steps,
    '',
    '| measure | value |',
    '|---|---|',
    ...rows,
    '',
    '![The run over time](chart.svg)',
    '',
    'Top: the API answers per second, by status; 202 means accepted and queued. Bottom: messages waiting',
    'in the queue and the DLQ, and how many of this run’s products the table holds. Shaded: when faults or',
    'latency were active. Gaps in a line are moments the target could not be asked (the faults hit the',
    'observer too). `journal.json` has every request and sample.',
    '',
  ].join('\n');
}

export async function writeReport(dir: string, journal: Journal): Promise<{ dir: string; files: string[] }> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'journal.json'), `${JSON.stringify(journal, null, 2)}\n`);
  writeFileSync(path.join(dir, 'chart.svg'), await renderChart(journal));
  writeFileSync(path.join(dir, 'report.md'), markdown(journal));
  return { dir, files: ['report.md', 'chart.svg', 'journal.json'] };
}
