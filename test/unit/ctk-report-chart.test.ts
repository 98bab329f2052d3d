/**
 * What the run's chart draws from a journal: the readings' lines and their gaps, this run's
 * accepted products, each write from sent to answered, answers per second of arrival, the fault
 * and latency windows in their lanes and as bands in every panel, the marked moments, and where
 * labels go so they stay inside the frame. (The SVG itself: test/integration/ctk-chart-svg.test.ts.)
 */
import { chartSpec } from '../../chaos/report/chart';
import { answerBars, labelSide, SERIES_NAMES, textWidth, WIDTH, windowRows, writeClass, writeRows } from '../../chaos/report/chart-data';
import { acceptedRows, type SeriesSample, seriesRows } from '../../chaos/report/series';
import type { WriteRecord } from '../../chaos/probes/records';
import { JOURNAL_EXTRAS } from '../../chaos/runner/journal';
import { FAULTS_URL, journal, START } from '../support/ctk-journals';

const sample = (t: number, holding: number | null, queue: number | null = 0, dlq: number | null = 0): SeriesSample => ({ t, queue, dlq, accepted: 2, holding });
const write = (id: string, status: number, sent: number, answered: number): WriteRecord => ({
  id,
  name: `${id} v1`,
  version: 1,
  status,
  sentAt: START + sent,
  answeredAt: START + answered,
  retryAfter: null,
});

describe('the readings', () => {
  it('break at a failed reading and across readings more than a second apart; a dot at each reading no line leaves', () => {
    const samples = [sample(0, 0), sample(300, 0), sample(600, null), sample(900, 1), sample(1200, null), sample(3000, 1), sample(3300, 2)];
    const { line, dots } = seriesRows(samples, 'holding', 'up');
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

  it('break across a gap of slow readings even when none failed', () => {
    const { line, dots } = seriesRows([sample(0, 1), sample(250, 1), sample(5250, 2)], 'holding', 'up');
    expect(line).toEqual([
      { t: 0, series: 'up', value: 1 },
      { t: 0.25, series: 'up', value: 1 },
      { t: 2.75, series: 'up', value: null },
      { t: 5.25, series: 'up', value: 2 },
    ]);
    expect(dots.map((d) => d.t)).toEqual([0.25, 5.25]);
  });

  it("count this run's products accepted when the first accepted answer for each arrived, with no gap", () => {
    const writes = [
      write('p', 200, 100, 400),
      write('a', 202, 900, 5900),
      write('b', 200, 1000, 1200),
      write('b', 202, 1300, 1500),
      write('c', 503, 1400, 1600),
    ];
    expect(acceptedRows(writes, START, 12_000, 'accepted').map((r) => [r.t, r.value])).toEqual([
      [0, 0],
      [0.4, 1],
      [1.2, 2],
      [5.9, 3],
      [12, 3],
    ]);
  });
});

describe('the writes panel', () => {
  const writes = [write('p', 200, 100, 400), write('a', 202, 900, 5900), write('b', 200, 1000, 1200), write('b', 202, 1300, 1500), write('x', 0, 1400, 1900)];
  const j = journal('held', { writes });

  it('draws each write from sent to answered, in the order sent; one with no answer is refused or failed', () => {
    expect(writeRows(j).map((r) => [r.row, r.sent, r.answered, r.status])).toEqual([
      [0, 0.1, 0.4, '200 stored'],
      [1, 0.9, 5.9, '202 queued'],
      [2, 1, 1.2, '200 stored'],
      [3, 1.3, 1.5, '202 queued'],
      [4, 1.4, 1.9, 'other: refused or failed'],
    ]);
    expect(writeClass(503)).toBe('other: refused or failed');
  });

  it('counts answers in the second they arrived, not the second they were sent, stacked by status', () => {
    expect(answerBars(j).map((b) => [b.second, b.status, b.answers, b.base, b.top])).toEqual([
      [0, '200 stored', 1, 0, 1],
      [1, '200 stored', 1, 0, 1],
      [1, '202 queued', 1, 1, 2],
      [1, 'other: refused or failed', 1, 2, 3],
      [5, '202 queued', 1, 0, 1],
    ]);
  });
});

type Layer = { name?: string; data: { values: Array<Record<string, unknown>> }; mark: Record<string, unknown>; encoding?: Record<string, unknown> };
const panels = (spec: Record<string, unknown>) => (spec.vconcat as Array<{ layer: Layer[] }>).map((panel) => panel.layer);

describe('the chart', () => {
  // A latency window after the outage, and a run interrupted while it lasted.
  const latency = {
    activity: 'method:add-latency',
    method: 'POST',
    url: FAULTS_URL.replace('faults', 'effects'),
    body: { latency: 5000 },
    t: 6000,
    status: 200,
  };
  const j = journal('interrupted', {
    chaosCalls: [...(journal()[JOURNAL_EXTRAS].chaosCalls ?? []), latency],
    interruptedAt: new Date(START + 8000).toISOString(),
  });
  const [timeline, writes, series] = panels(chartSpec(j));

  it('draws the fault and the latency windows as bands in every panel, and each in its lane, labelled', () => {
    for (const panel of [timeline, writes, series]) {
      expect(panel!.filter((l) => l.name?.endsWith('_fault_bands')).flatMap((l) => l.data.values.map((v) => [v.start, v.end]))).toEqual([[1.25, 5.65]]);
      expect(panel!.filter((l) => l.name?.endsWith('_latency_bands')).flatMap((l) => l.data.values.map((v) => [v.start, v.end, v.fill]))).toEqual([
        [6, 9.3, '#F0E442'],
      ]);
    }
    const labels = timeline!.filter((l) => l.mark.type === 'text').flatMap((l) => l.data.values.map((v) => [v.row, v.text]));
    expect(labels).toEqual(
      expect.arrayContaining([
        ['faults on', 'the fault rule on dynamodb (80% of calls fail with 500 SomethingWentWrong)'],
        ['latency on', '+5000 ms on every AWS call'],
        ['moments', 'Ctrl-C'],
      ]),
    );
  });

  it('marks Ctrl-C with a rule in every panel; labels only in the timeline, where the rule is a tick in its own row', () => {
    for (const panel of [writes, series]) expect(panel!.some((l) => l.mark.type === 'rule' && l.data.values.some((v) => v.t === 8))).toBe(true);
    for (const panel of [writes, series]) expect(panel!.filter((l) => l.mark.type === 'text')).toEqual([]);
    expect(timeline!.filter((l) => l.mark.type === 'rule')).toEqual([]);
    const tick = timeline!.find((l) => l.mark.type === 'tick')!;
    expect(tick.data.values).toEqual([{ t: 8, label: 'Ctrl-C', row: 'moments' }]);
  });

  it('draws the DLQ last, dashed and in its own colour, the accepted products without gaps, and breaks the holding line at null readings', () => {
    const lines = series!.filter((l) => l.mark.type === 'line');
    expect(lines.map((l) => l.data.values[0]?.series)).toEqual([SERIES_NAMES.accepted, SERIES_NAMES.holding, SERIES_NAMES.queue, SERIES_NAMES.dlq]);
    const encoding = lines[3]!.encoding as {
      color: { scale: { domain: string[]; range: string[] } };
      strokeDash: { scale: { domain: string[]; range: number[][] } };
    };
    const at = encoding.color.scale.domain.indexOf(SERIES_NAMES.dlq);
    expect(encoding.strokeDash.scale.range[at]).toEqual([6, 3]);
    expect(new Set(encoding.color.scale.range).size).toBe(4);
    expect(lines[0]!.data.values.filter((v) => v.value === null)).toEqual([]);
    expect(lines[1]!.data.values.filter((v) => v.value === null)).toHaveLength(1);
  });

  it('sets no text under 12 px', () => {
    const sizes: number[] = [];
    const visit = (value: unknown, key = '') => {
      if (typeof value === 'number' && /fontsize$/i.test(key)) sizes.push(value);
      else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, k);
    };
    visit(chartSpec(j));
    expect(sizes.length).toBeGreaterThan(5);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(12);
  });
});

describe('labels inside the frame', () => {
  it('go after their bar when they fit, before it when not, else over it, else from the left edge', () => {
    const end = 100;
    expect(labelSide('short', 10, 5, end)).toEqual({ x: 10, align: 'left' });
    const long = 'x'.repeat(40);
    expect(textWidth(long)).toBeGreaterThan(WIDTH * 0.2);
    expect(labelSide(long, 90, 60, end)).toEqual({ x: 60, align: 'right' });
    // A bar across nearly the whole run: the label sits on it, ending at its end.
    expect(labelSide(long, 95, 5, end)).toEqual({ x: 95, align: 'right' });
    expect(labelSide('x'.repeat(200), 90, 5, end)).toEqual({ x: 0, align: 'left' });
  });

  it('puts overlapping windows of one kind in lanes of their own', () => {
    const rows = windowRows([
      { kind: 'fault', label: 'a', start: 0, end: 5000 },
      { kind: 'fault', label: 'b', start: 1000, end: 2000 },
      { kind: 'latency', label: 'c', start: 1000, end: 3000 },
      { kind: 'fault', label: 'd', start: 6000, end: 7000 },
    ]);
    expect(rows.map((r) => [r.label, r.lane])).toEqual([
      ['a', 'faults on'],
      ['b', 'faults on (2)'],
      ['c', 'latency on'],
      ['d', 'faults on'],
    ]);
  });
});
