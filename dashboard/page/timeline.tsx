/** @jsxRuntime automatic */
/** @jsxImportSource preact */
import { BLUE, PINK, WARN, answerClass, time } from './palette';
import type { TimelinePoint } from './types';

const WIDTH = 880;
const LEFT = 56;
const RIGHT = 150;
const PANEL = 90;
const GAP = 26;
const SPAN_MS = 5 * 60 * 1000;

/** Fault windows: runs of consecutive faulted points. */
function windows(points: TimelinePoint[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start: number | null = null;
  let last = 0;
  for (const p of points) {
    if (p.faulted && start === null) start = p.t;
    if (!p.faulted && start !== null) {
      out.push([start, p.t]);
      start = null;
    }
    last = p.t;
  }
  if (start !== null) out.push([start, last + 1000]);
  return out;
}

/** A line with gaps where the reading failed (null). */
function linePath(points: TimelinePoint[], get: (p: TimelinePoint) => number | null, x: (t: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = false;
  for (const p of points) {
    const v = get(p);
    if (v === null || v === undefined) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(v).toFixed(1)} `;
    pen = true;
  }
  return d;
}

const niceMax = (n: number) => {
  if (n <= 5) return 5;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return n;
};

/**
 * The last five minutes, drawn like the reports' chart: answers per second by status (stacked bars), the
 * queue and DLQ depths, and the table's items; fault windows shaded grey across all three panels.
 */
export function Timeline({ points, now }: { points: TimelinePoint[]; now: number }) {
  const end = Math.max(now, points.at(-1)?.t ?? now);
  const start = end - SPAN_MS;
  const pts = points.filter((p) => p.t >= start);
  const plotW = WIDTH - LEFT - RIGHT;
  const x = (t: number) => LEFT + ((t - start) / SPAN_MS) * plotW;
  const statuses = [...new Set(pts.flatMap((p) => Object.keys(p.answers ?? {})))].sort();
  const maxAnswers = niceMax(Math.max(0, ...pts.map((p) => Object.values(p.answers ?? {}).reduce((a, b) => a + b, 0))));
  const maxDepth = niceMax(Math.max(0, ...pts.map((p) => Math.max(p.queue ?? 0, p.dlq ?? 0))));
  const maxItems = niceMax(Math.max(0, ...pts.map((p) => p.items ?? 0)));
  const top = [10, 10 + PANEL + GAP, 10 + 2 * (PANEL + GAP)] as const;
  const height = top[2] + PANEL + 30;
  const yIn = (panel: 0 | 1 | 2, max: number) => (v: number) => top[panel] + PANEL - (v / max) * PANEL;
  const barW = Math.max(1, plotW / 300 - 0.5);
  const ticks = [0, 1, 2, 3, 4, 5].map((i) => start + i * 60000);
  const shaded = windows(pts);
  const axis = (panel: 0 | 1 | 2, max: number, label: string) => (
    <g class="axis">
      <line x1={LEFT} x2={LEFT + plotW} y1={top[panel] + PANEL} y2={top[panel] + PANEL} />
      <line x1={LEFT} x2={LEFT} y1={top[panel]} y2={top[panel] + PANEL} />
      <text x={LEFT - 6} y={top[panel] + 8} text-anchor="end">
        {max}
      </text>
      <text x={LEFT - 6} y={top[panel] + PANEL} text-anchor="end">
        0
      </text>
      <text x={LEFT + 4} y={top[panel] + 10} class="panel-title">
        {label}
      </text>
    </g>
  );
  const legend = (panel: 0 | 1 | 2, rows: Array<{ colour: string; label: string; dash?: string; bar?: boolean }>) => (
    <g>
      {rows.map((r, i) => (
        <g key={r.label} transform={`translate(${LEFT + plotW + 12},${top[panel] + 10 + i * 18})`}>
          {r.bar ? (
            <rect y={-8} width={14} height={10} fill={r.colour} />
          ) : (
            <line x1={0} x2={16} y1={-3} y2={-3} stroke={r.colour} stroke-width={2.5} stroke-dasharray={r.dash} />
          )}
          <text x={22} y={1} class="legend">
            {r.label}
          </text>
        </g>
      ))}
    </g>
  );
  return (
    <svg viewBox={`0 0 ${WIDTH} ${height}`} class="timeline" role="img" aria-labelledby="timeline-title" data-testid="timeline">
      <title id="timeline-title">
        The last five minutes: answers per second by status, queue and DLQ depth, items in the table; grey bands are fault windows.
      </title>
      {shaded.map(([a, b]) => (
        <g key={a}>
          <rect x={Math.max(LEFT, x(a))} width={Math.max(2, x(b) - Math.max(LEFT, x(a)))} y={top[0]} height={top[2] + PANEL - top[0]} class="fault-window" />
        </g>
      ))}
      {axis(0, maxAnswers, 'answers per second')}
      {axis(1, maxDepth, 'messages')}
      {axis(2, maxItems, 'items')}
      {pts.map((p) => {
        let acc = 0;
        const y = yIn(0, maxAnswers);
        return (
          <g key={p.t}>
            {statuses.map((st) => {
              const n = p.answers?.[st] ?? 0;
              if (!n) return null;
              const y0 = y(acc);
              acc += n;
              return <rect key={st} x={x(p.t)} width={barW} y={y(acc)} height={y0 - y(acc)} fill={answerClass(st).colour} />;
            })}
          </g>
        );
      })}
      <path d={linePath(pts, (p) => p.queue, x, yIn(1, maxDepth))} fill="none" stroke={WARN} stroke-width={2.5} />
      <path d={linePath(pts, (p) => p.dlq, x, yIn(1, maxDepth))} fill="none" stroke={PINK} stroke-width={2.5} stroke-dasharray="6 3" />
      <path d={linePath(pts, (p) => p.items, x, yIn(2, maxItems))} fill="none" stroke={BLUE} stroke-width={2.5} />
      {legend(
        0,
        (statuses.length ? statuses : ['200', '202']).map((st) => ({ colour: answerClass(st).colour, label: answerClass(st).label, bar: true })),
      )}
      {legend(1, [
        { colour: WARN, label: 'ProductEventsQueue' },
        { colour: PINK, label: 'ProductEventsDLQ', dash: '6 3' },
      ])}
      {legend(2, [
        { colour: BLUE, label: 'Products table' },
        { colour: '#bbb', label: 'grey band: fault on', bar: true },
      ])}
      <g class="axis">
        {ticks.map((t) => (
          <text key={t} x={x(t)} y={height - 8} text-anchor="middle">
            {time(t)}
          </text>
        ))}
      </g>
    </svg>
  );
}
