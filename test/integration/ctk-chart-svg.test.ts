/**
 * The chart as Vega renders it (in a process of its own: Jest cannot load Vega's ES modules), for
 * a run with an outage, a latency window after it and a failed reading: no text under 12 px, the
 * SVG no wider than the report page (so 12 px stays 12 px), every label inside its panel's frame,
 * a band per fault and latency window in every panel, and the products line broken at the
 * failed reading.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { textWidth } from '../../chaos/report/chart-data';
import { REPO_ROOT } from '../../shared/paths';
import { elements, parseXml, type XmlElement } from '../support/ctk-journals';
import { scaled } from '../support/time-scale';

/** The report page's column (report.html: 1100 px less its padding): a wider chart is shown scaled down. */
const PAGE_WIDTH = 1068;

let dir: string;
let svg: XmlElement;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ctk-chart-'));
  const file = path.join(dir, 'chart.svg');
  const script = `
    const load = async (file) => { const m = await import(file); return m.default ?? m; };
    const { journal, FAULTS_URL, START } = await load(${JSON.stringify(path.join(REPO_ROOT, 'test/support/ctk-journals.ts'))});
    const { renderChart } = await load(${JSON.stringify(path.join(REPO_ROOT, 'chaos/report/chart.ts'))});
    const { writeFileSync } = await import('node:fs');
    const held = journal('held');
    const extras = held['x-serverless-chaos'];
    // A latency window after the outage, left on to the end of the run, with a label too long to fit after its start.
    const latency = { activity: 'method:add-latency', method: 'POST', url: FAULTS_URL.replace('faults', 'effects'), body: { latency: 5000, jitterMs: 1000, services: { dynamodb: { latency: 9000 } } }, t: 7000, status: 200 };
    const run = journal('held', { chaosCalls: [...extras.chaosCalls, latency], interruptedAt: new Date(START + 8800).toISOString() });
    writeFileSync(${JSON.stringify(file)}, await renderChart(run));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: scaled(60_000),
  });
  expect(`${run.status} ${run.stderr}`).toBe('0 ');
  svg = parseXml(readFileSync(file, 'utf8'));
}, 90_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Placed {
  element: XmlElement;
  /** Every ancestor, outermost first. */
  path: XmlElement[];
  /** x of the element's origin in the SVG, from every translate on the way; undefined once something rotates it. */
  x: number | undefined;
}

function placed(root: XmlElement): Placed[] {
  const out: Placed[] = [];
  const walk = (element: XmlElement, path: XmlElement[], x: number | undefined) => {
    const transform = element.attributes.transform ?? '';
    const translate = /translate\(\s*(-?[\d.]+)/.exec(transform);
    const here = x === undefined || /rotate/.test(transform) ? undefined : x + Number(translate?.[1] ?? 0);
    out.push({ element, path, x: here });
    for (const child of element.children) walk(child, [...path, element], here);
  };
  walk(root, [], 0);
  return out;
}

const classes = (element: XmlElement) => (element.attributes.class ?? '').split(' ');
const all = () => placed(svg);
/** Each panel's plot frame: its group's origin and the width of its background. */
function panels(): Array<{ group: Placed; x: number; width: number }> {
  return all()
    .filter((p) => classes(p.element).some((c) => /^concat_\d+_group$/.test(c)))
    .map((group) => {
      const inner = group.element.children.find((child) => child.name === 'g')!;
      const background = inner.children.find((child) => child.name === 'path' && child.attributes.class === 'background')!;
      return {
        group,
        x: (group.x ?? 0) + Number(/translate\((-?[\d.]+)/.exec(inner.attributes.transform ?? '')?.[1] ?? 0),
        width: Number(/h(\d+)/.exec(background.attributes.d ?? '')?.[1]),
      };
    });
}
const inside = (p: Placed, group: Placed) => p.path.includes(group.element);

it('sets every text at 12 px or more', () => {
  const texts = elements(svg, 'text');
  expect(texts.length).toBeGreaterThan(50);
  const sizes = texts.map((text) => [text.text, Number(/^([\d.]+)px$/.exec(text.attributes['font-size'] ?? '')?.[1])] as const);
  expect(sizes.filter(([, size]) => !(size >= 12))).toEqual([]);
});

it('is no wider than the report page, so it is shown at full size', () => {
  expect(Number(svg.attributes.width)).toBeLessThanOrEqual(PAGE_WIDTH);
});

it('keeps every label of a panel inside its frame, by where it is anchored and about how wide it is', () => {
  const frames = panels();
  expect(frames).toHaveLength(3);
  const labels = all().filter((p) => p.element.name === 'text' && p.path.some((a) => classes(a).includes('mark-text') && classes(a).includes('role-mark')));
  expect(labels.length).toBeGreaterThan(10);
  const outside = labels.flatMap((label) => {
    const frame = frames.find((f) => inside(label, f.group))!;
    const x = (label.x ?? NaN) - frame.x;
    const width = textWidth(label.element.text, Number.parseFloat(label.element.attributes['font-size'] ?? '12'));
    const anchor = label.element.attributes['text-anchor'] ?? 'start';
    const [from, to] = anchor === 'end' ? [x - width, x] : anchor === 'middle' ? [x - width / 2, x + width / 2] : [x, x + width];
    return from >= 0 && to <= frame.width ? [] : [`${label.element.text} at ${from}..${to} of ${frame.width}`];
  });
  expect(outside).toEqual([]);
});

it('draws a band per fault and latency window in every panel', () => {
  for (const panel of ['timeline', 'writes', 'series'])
    for (const kind of ['fault', 'latency']) {
      const marks = all().filter((p) => classes(p.element).includes(`${panel}_${kind}_bands_marks`));
      expect([panel, kind, marks.flatMap((m) => m.element.children.filter((child) => child.name === 'path')).length]).toEqual([panel, kind, 1]);
    }
});

it('breaks the line of products holding their newest value at the failed reading', () => {
  const line = all().find((p) => classes(p.element).includes('line_holding_marks'))!;
  const d = line.element.children.find((child) => child.name === 'path')?.attributes.d ?? '';
  expect(d.match(/M/g)).toHaveLength(2);
  const accepted = all().find((p) => classes(p.element).includes('line_accepted_marks'))!;
  expect(accepted.element.children.find((child) => child.name === 'path')?.attributes.d?.match(/M/g)).toHaveLength(1);
});
