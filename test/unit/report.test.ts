/** The experiment report: what the chart draws from a journal, the summary's words and numbers, and reports/latest. */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localstack } from '#spec';
import type { Journal, RequestRecord, Sample, Step } from '../../scripts/lib/experiment';
import { acceptedRows, answerBars, chartSpec, SERIES, spanRows, summaryRows, summaryText, verdictSentence, writeTable } from '../../scripts/lib/report';
import { linkLatest } from '../../chaos/report/latest';
import { seriesRows } from '../../chaos/report/series';

const request = (r: Partial<RequestRecord> & Pick<RequestRecord, 't' | 'answeredAt' | 'status' | 'id'>): RequestRecord => ({
  step: 'outage',
  name: 'v1',
  ms: r.answeredAt - r.t,
  ...r,
});
const sample = (t: number, upToDate: number | null, queue: number | null = 0, dlq: number | null = 0): Sample => ({ t, queue, dlq, accepted: 2, upToDate });
const step = (name: Step['name'], verdict: Step['verdict'], startedAt: number, endedAt: number): Step => ({
  name,
  hypothesis: `${name} hypothesis`,
  verdict,
  details: `${name} details`,
  startedAt,
  endedAt,
});

function journal(overrides: Partial<Journal> = {}): Journal {
  return {
    runId: 'abc123',
    endpoint: localstack.endpoint,
    startedAt: '2026-01-01T00:00:00.000Z',
    duration: 12_000,
    status: 'completed',
    deviated: true,
    steps: [
      step('preflight', 'held', 0, 500),
      step('outage', 'held', 500, 4000),
      step('recovery', 'failed', 4000, 9000),
      step('latency', 'held', 9000, 12_000),
    ],
    requests: [
      request({ t: 100, answeredAt: 400, status: 200, id: 'p', step: 'preflight' }),
      request({ t: 900, answeredAt: 5900, status: 202, id: 'a' }),
      request({ t: 1000, answeredAt: 1200, status: 200, id: 'b' }),
      request({ t: 1300, answeredAt: 1500, status: 202, id: 'b', name: 'v2' }),
    ],
    samples: [sample(0, 0), sample(300, 0), sample(600, null), sample(900, 1), sample(1200, null), sample(3000, 1), sample(3300, 2)],
    faultWindows: [
      { kind: 'outage', label: 'DynamoDB outage', start: 500, end: 4000 },
      { kind: 'latency', label: 'latency', start: 10_000, end: 12_000 },
    ],
    marks: [{ t: 6500, label: 'recovered 2.5 s after the outage' }],
    cleanup: { removed: [], failed: [] },
    summary: {
      held: false,
      failedHypotheses: ['recovery'],
      notRun: [],
      writes: [
        {
          group: 'preflight',
          step: 'preflight',
          writes: 1,
          stored: 1,
          queued: 0,
          failed: 0,
          interrupted: 0,
          byStatus: { '200': 1 },
          latencyMs: { p50: 300, p95: 300, p99: 300, max: 300 },
          products: 1,
          upToDateAtEnd: 1,
        },
        {
          group: 'outage',
          step: 'outage',
          writes: 3,
          stored: 1,
          queued: 2,
          failed: 0,
          interrupted: 0,
          byStatus: { '200': 1, '202': 2 },
          latencyMs: { p50: 200, p95: 5000, p99: 5000, max: 5000 },
          products: 2,
          upToDateAtEnd: 0,
        },
      ],
      products: { at: 12_000, accepted: 3, upToDate: 1, pending: 2, deadLettered: 0, lost: 0, queue: 3, dlq: 0 },
      recoveryMs: null,
    },
    ...overrides,
  };
}

describe('the table line', () => {
  it('breaks at a failed reading and across readings more than a second apart, and dots the readings no line leaves', () => {
    const { line, dots } = seriesRows(journal().samples, 'upToDate', 'up');
    expect(line).toEqual([
      { t: 0, series: 'up', value: 0 },
      { t: 0.3, series: 'up', value: 0 },
      { t: 0.6, series: 'up', value: null },
      { t: 0.9, series: 'up', value: 1 },
      { t: 1.2, series: 'up', value: null },
      { t: 3, series: 'up', value: 1 },
      { t: 3.3, series: 'up', value: 2 },
    ]);
    expect(dots).toEqual([
      { t: 0.3, series: 'up', value: 0 },
      { t: 0.9, series: 'up', value: 1 },
      { t: 3.3, series: 'up', value: 2 },
    ]);
  });

  it('breaks across a gap of slow readings even when none failed', () => {
    const { line, dots } = seriesRows([sample(0, 1), sample(250, 1), sample(5250, 2)], 'upToDate', 'up');
    expect(line).toEqual([
      { t: 0, series: 'up', value: 1 },
      { t: 0.25, series: 'up', value: 1 },
      { t: 2.75, series: 'up', value: null },
      { t: 5.25, series: 'up', value: 2 },
    ]);
    expect(dots.map((d) => d.t)).toEqual([0.25, 5.25]);
  });

  it('counts products accepted when the first accepted answer for each arrived', () => {
    expect(acceptedRows(journal(), 12_000).map((r) => [r.t, r.value])).toEqual([
      [0, 0],
      [0.4, 1],
      [1.2, 2],
      [5.9, 3],
      [12, 3],
    ]);
  });
});

describe('the API panel', () => {
  it('draws each write from sent to answered, in the order sent', () => {
    expect(spanRows(journal()).map((r) => [r.row, r.sent, r.answered, r.status])).toEqual([
      [0, 0.1, 0.4, '200 stored'],
      [1, 0.9, 5.9, '202 queued'],
      [2, 1, 1.2, '200 stored'],
      [3, 1.3, 1.5, '202 queued'],
    ]);
  });

  it('counts answers in the second they arrived, not the second they were sent', () => {
    expect(answerBars(journal()).map((b) => [b.second, b.status, b.answers, b.base, b.top])).toEqual([
      [0, '200 stored', 1, 0, 1],
      [1, '200 stored', 1, 0, 1],
      [1, '202 queued', 1, 1, 2],
      [5, '202 queued', 1, 0, 1],
    ]);
  });

  it('labels an interrupted write as interrupted, not as an answer', () => {
    const rows = spanRows(
      journal({
        requests: [request({ t: 0, answeredAt: 900, status: 0, id: 'x', interrupted: true }), request({ t: 0, answeredAt: 900, status: 0, id: 'y' })],
      }),
    );
    expect(rows.map((r) => r.status)).toEqual(['interrupted', 'no answer']);
  });
});

describe('the chart', () => {
  const spec = chartSpec(journal()) as {
    vconcat: Array<{ layer: Array<{ data: { values: Array<Record<string, unknown>> }; mark: Record<string, unknown>; encoding?: Record<string, unknown> }> }>;
  };
  const [timeline, writes, state] = spec.vconcat;

  it('labels each step with its verdict, and marks recovery', () => {
    const labels = timeline!.layer.flatMap((l) => l.data.values.map((v) => v.label)).filter(Boolean);
    expect(labels).toEqual(
      expect.arrayContaining(['preflight: held', 'outage: held', 'recovery: FAILED', 'latency: held', 'DynamoDB outage', 'recovered 2.5 s after the outage']),
    );
    for (const panel of [timeline, writes, state])
      expect(panel!.layer.some((l) => l.mark.type === 'rule' && l.data.values.some((v) => v.t === 6.5))).toBe(true);
  });

  it('puts labels only in the timeline, where each rule is a tick beside its own label only', () => {
    for (const panel of [writes, state]) expect(panel!.layer.filter((l) => l.mark.type === 'text')).toEqual([]);
    const rule = timeline!.layer.find((l) => l.mark.type === 'rule')!;
    expect(rule.encoding).toMatchObject({ y: { field: 'ruleTop' }, y2: { field: 'ruleBottom' } });
    expect(rule.data.values).toEqual([{ t: 6.5, label: 'recovered 2.5 s after the outage', labelY: 78, ruleTop: 72, ruleBottom: 84 }]);
  });

  it('draws the DLQ last, dashed and in its own colour, and breaks the table line at null readings', () => {
    const lines = state!.layer.filter((l) => l.mark.type === 'line');
    expect(lines.map((l) => l.data.values[0]?.series)).toEqual([SERIES.accepted, SERIES.upToDate, SERIES.queue, SERIES.dlq]);
    const encoding = lines[3]!.encoding as {
      color: { scale: { domain: string[]; range: string[] } };
      strokeDash: { scale: { domain: string[]; range: number[][] } };
    };
    const at = encoding.color.scale.domain.indexOf(SERIES.dlq);
    expect(encoding.strokeDash.scale.range[at]).toEqual([7, 3]);
    expect(new Set(encoding.color.scale.range).size).toBe(4);
    expect(lines[1]!.data.values.filter((v) => v.value === null)).toHaveLength(2);
  });
});

describe('the summary', () => {
  it('counts each step apart and separates writes not yet applied from lost ones', () => {
    expect(writeTable(journal()).rows).toEqual([
      ['preflight', '1', '1', '0', '0', '300/300/300', '1 of 1'],
      ['outage', '3', '1', '2', '0', '200/5000/5000', '0 of 2'],
    ]);
    expect(summaryRows(journal())).toEqual([
      ['products accepted (200 or 202)', '3'],
      ['hold their newest value', '1'],
      ['not yet applied (still in a queue)', '2'],
      ['dead-lettered (in the DLQ, needs a redrive)', '0'],
      ['lost (no message left to bring them)', '0'],
      ['queue / DLQ at the end', '3 / 0 messages (at 12.0 s)'],
      ['time to recover', 'did not recover in time'],
    ]);
    expect(summaryText(journal())).toContain('\nHypotheses that failed: recovery.');
  });

  it('says an interrupted run was interrupted, what it removed, and what did not run', () => {
    const interrupted = journal({
      status: 'interrupted',
      steps: [step('preflight', 'held', 0, 500), step('outage', 'interrupted', 500, 2000)],
      cleanup: { removed: ['the fault rule on dynamodb'], failed: [] },
      summary: { ...journal().summary, failedHypotheses: [], notRun: ['recovery', 'latency'] },
    });
    expect(verdictSentence(interrupted)).toBe('Interrupted (Ctrl-C) during the outage step. Not run: recovery, latency.');
    const text = summaryText(interrupted);
    expect(text).toContain('  INTERRUPTED outage     outage details');
    expect(text).toContain('  NOT RUN     latency');
    expect(text).toContain('Removed what this run had left active: the fault rule on dynamodb.');
  });
});

describe('reports/latest', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'latest-'));
    for (const name of ['run-1', 'run-2']) {
      mkdirSync(path.join(root, name));
      writeFileSync(path.join(root, name, 'report.md'), name);
    }
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is a relative symlink to the newest run, replaced by the next', () => {
    expect(linkLatest(root, path.join(root, 'run-1'))).toBe('symlink');
    expect(linkLatest(root, path.join(root, 'run-2'))).toBe('symlink');
    expect(readlinkSync(path.join(root, 'latest'))).toBe('run-2');
    expect(readFileSync(path.join(root, 'latest', 'report.md'), 'utf8')).toBe('run-2');
    expect(existsSync(path.join(root, 'run-1', 'report.md'))).toBe(true);
  });

  it('is a copy where symlinks cannot be made, and a symlink again once they can', () => {
    const refuse = (() => {
      throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
    }) as never;
    expect(linkLatest(root, path.join(root, 'run-1'), refuse)).toBe('copy');
    expect(lstatSync(path.join(root, 'latest')).isDirectory()).toBe(true);
    expect(readFileSync(path.join(root, 'latest', 'report.md'), 'utf8')).toBe('run-1');
    expect(linkLatest(root, path.join(root, 'run-2'))).toBe('symlink');
    expect(readlinkSync(path.join(root, 'latest'))).toBe('run-2');
    expect(readFileSync(path.join(root, 'run-1', 'report.md'), 'utf8')).toBe('run-1');
  });
});
