/** The CTK run report: the outcome and its words, report.md, junit.xml, report.html (self-contained) and the chart's data. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JOURNAL_EXTRAS } from '../../chaos/runner/journal';
import { writeRunReport } from '../../chaos/report';
import { chartSpec } from '../../chaos/report/chart';
import { seriesData, timelineRows, writeRows } from '../../chaos/report/chart-data';
import { reportBlocks } from '../../chaos/report/document';
import { renderHtml } from '../../chaos/report/html';
import { runJunit } from '../../chaos/report/junit';
import { renderMarkdown } from '../../chaos/report/markdown';
import { asExpected, outcomeLine, outcomeOf, probeLines } from '../../chaos/report/model';
import { elements, journal, parseXml } from '../support/ctk-journals';
import { REPO_ROOT } from '../../shared/paths';
import { scaled } from '../support/time-scale';

const STUB_SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><rect width="1" height="1"/></svg>';
const stub = async () => STUB_SVG;

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'ctk-report-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const markdown = (j = journal()) => renderMarkdown(reportBlocks(j));

/** What a self-contained page may not have: scripts, fetched resources, or any http(s) URL but a link to click. */
function assertSelfContained(html: string) {
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<link\b/i);
  expect(html).not.toMatch(/<(img|iframe|object|embed|source|video|audio)\b/i);
  expect(html).not.toMatch(/@import|url\(/i);
  expect(html).not.toMatch(/\son\w+\s*=/i);
  // Every http(s) URL in an attribute is an <a href> the user clicks.
  const attributeUrls = [...html.matchAll(/<(\w+)[^>]*?\s([\w:-]+)\s*=\s*["']\s*https?:/gi)].map(([, tag, attr]) => `${tag} ${attr}`);
  expect(attributeUrls.filter((t) => t !== 'a href')).toEqual([]);
}

describe('outcome', () => {
  test.each([
    ['held', 'held', true, /^Held: the steady state held/],
    ['expected-deviation', 'deviated', true, /^Deviated, as expected: after the method, the probe "writes-are-accepted"/],
    ['unexpected-deviation', 'deviated', false, /^Deviated \(not expected\): after the method/],
    ['aborted', 'aborted', false, /^Aborted: the action "write-during-the-outage" failed/],
    ['safeguard', 'aborted', false, /^Aborted: the safeguard "dlq-stays-empty"/],
    ['interrupted', 'interrupted', false, /^Interrupted: interrupted \(Ctrl-C/],
    ['failed', 'failed', false, /^Failed: the steady state did not hold: before the method/],
  ] as const)('%s: %s, as expected %s', (scenario, outcome, expected, line) => {
    const j = journal(scenario);
    expect(outcomeOf(j)).toBe(outcome);
    expect(asExpected(j)).toBe(expected);
    expect(outcomeLine(j)).toMatch(line);
  });

  test('a run that held where a deviation was expected is not as expected', () => {
    const j = journal('held', { expected: { outcome: 'deviated' } });
    expect(asExpected(j)).toBe(false);
    expect(outcomeLine(j)).toBe('Held, but a deviation was expected: the fault did not show.');
  });

  test('a journal without the runner CLI’s extras still reports (expected: held)', () => {
    const j = journal('held');
    j[JOURNAL_EXTRAS] = { runner: 'x', safeguards: [] };
    expect(asExpected(j)).toBe(true);
    expect(markdown(j)).toContain('| target | not recorded |');
  });
});

describe('one line per hypothesis probe, before and after', () => {
  test('probes that never ran say why', () => {
    const lines = probeLines(journal('failed')).map((p) => [p.phase, p.name, p.verdict, p.detail.slice(0, 30)]);
    expect(lines).toEqual([
      ['before', 'writes-are-accepted', 'outside tolerance', 'exit 1 {"sent":5,"statuses":{"'],
      ['before', 'accepted-writes-hold', 'not run', 'an earlier probe missed'],
      ['after', 'writes-are-accepted', 'not run', 'the run ended first (failed)'],
      ['after', 'accepted-writes-hold', 'not run', 'the run ended first (failed)'],
    ]);
  });

  test('report.md: the verdict first, the target, seed and duration, then a row per probe check', () => {
    const md = markdown(journal('expected-deviation'));
    const lines = md.split('\n');
    expect(lines[0]).toBe('# DynamoDB outage: writes are queued and applied later');
    expect(lines[2]).toMatch(/^\*\*☑️ Deviated, as expected: /);
    expect(md).toContain('| target | offline at http://127.0.0.1:4566 |');
    expect(md).toContain('| seed | 42 (replay with --seed 42) |');
    expect(md).toContain('| duration | 9.30 s |');
    expect(md).toContain('Expected deviated: with the fallback off, a DynamoDB failure loses the write');
    expect(lines.filter((l) => /^\| (before|after) \|/.test(l))).toEqual([
      expect.stringMatching(/^\| before \| writes-are-accepted \| 0 \| ✔ within tolerance \| 0\.40 s \| exit 0 /),
      expect.stringMatching(/^\| before \| accepted-writes-hold \| 0 \| ✔ within tolerance \|/),
      expect.stringMatching(/^\| after \| writes-are-accepted \| 0 \| ✘ outside tolerance \| 0\.50 s \| exit 1 /),
      '| after | accepted-writes-hold | 0 | – not run |  | an earlier probe missed |',
    ]);
    expect(md).toContain('![The run over time](chart.svg)');
  });

  test('report.md: the method with status and duration, activities never started, the safeguard that stopped it, the rollbacks', () => {
    const md = markdown(journal('safeguard'));
    expect(md).toContain('| start-the-dynamodb-outage | action | ✔ succeeded | +1.20 s | 0.05 s | HTTP 200 \\[{"service":"dynamodb","probability":0.8}\\] |');
    expect(md).toContain(
      '| write-during-the-outage | action | ✘ failed | +1.30 s | 2.00 s | interrupted: the safeguard "dlq-stays-empty" stopped the method |',
    );
    expect(md).toContain('| queue-drains | probe (background) | – not run |  |  | the method stopped first |');
    expect(md).toContain('| dlq-stays-empty | 3 | 1 | ✘ stopped the method: outside tolerance: exit 1 {"queue":3,"dlq":2} |');
    expect(md).toContain('| remove-the-dynamodb-fault | ✔ succeeded | 0.05 s | HTTP 200 \\[\\] |');
    expect(md).toContain('| method: write-during-the-outage | 20 | 13 | 6 | 1 (503: 1) | 120/900/900 | 19 of 19 |');
    expect(md).toContain('| not yet applied (still in a queue) | 0 |');
  });

  test('report.md escapes what would break a table or inject HTML', () => {
    const j = journal('aborted');
    j.run[1]!.exception = 'bad | pipe\nand <b>html</b>';
    const row = markdown(j)
      .split('\n')
      .find((l) => l.startsWith('| write-during-the-outage'));
    expect(row).toContain('bad \\| pipe and &lt;b&gt;html&lt;/b&gt;');
  });
});

describe('junit.xml', () => {
  const cases = (xml: string) => elements(parseXml(xml), 'testcase');
  const named = (xml: string) => Object.fromEntries(cases(xml).map((c) => [c.attributes.name, c]));

  test('a test case per probe check, per safeguard, one for the rollbacks and one for the outcome', () => {
    const xml = runJunit(journal('held'));
    const suite = parseXml(xml).children[0]!;
    expect(suite.name).toBe('testsuite');
    expect(suite.attributes).toMatchObject({ tests: '7', failures: '0', skipped: '0', timestamp: '2026-03-01T10:00:00.000Z' });
    expect(cases(xml).map((c) => c.attributes.name)).toEqual([
      'hypothesis before: writes-are-accepted',
      'hypothesis before: accepted-writes-hold',
      'hypothesis after: writes-are-accepted',
      'hypothesis after: accepted-writes-hold',
      'safeguard: dlq-stays-empty',
      'rollbacks',
      'outcome: held (expected held)',
    ]);
  });

  test('an expected deviation is not a failure, and says it was expected', () => {
    const xml = runJunit(journal('expected-deviation'));
    expect(elements(parseXml(xml), 'failure')).toEqual([]);
    const after = named(xml)['hypothesis after: writes-are-accepted']!;
    expect(elements(after, 'system-out')[0]!.text).toMatch(
      /^Expected deviation \(with the fallback off, a DynamoDB failure loses the write\): outside its tolerance 0/,
    );
    expect(elements(named(xml)['hypothesis after: accepted-writes-hold']!, 'skipped')[0]!.attributes.message).toBe('not run: an earlier probe missed');
  });

  test('an unexpected deviation fails the probe that missed and the outcome', () => {
    const xml = runJunit(journal('unexpected-deviation'));
    const failed = cases(xml).filter((c) => elements(c, 'failure').length > 0);
    expect(failed.map((c) => c.attributes.name)).toEqual(['hypothesis after: writes-are-accepted', 'outcome: deviated (expected held)']);
    expect(elements(failed[1]!, 'failure')[0]!.attributes.message).toMatch(/^Deviated \(not expected\)/);
  });

  test('a tripped safeguard and a failed rollback are failures with their reasons', () => {
    const j = journal('safeguard');
    j.rollbacks[0] = { ...j.rollbacks[0]!, status: 'failed', exception: 'connect ECONNREFUSED' };
    const byName = named(runJunit(j));
    expect(elements(byName['safeguard: dlq-stays-empty']!, 'failure')[0]!.attributes.message).toBe(
      'stopped the method (1 of 3 checks): outside tolerance: exit 1 {"queue":3,"dlq":2}',
    );
    expect(elements(byName.rollbacks!, 'failure')[0]!.attributes.message).toBe('the rollback "remove-the-dynamodb-fault" failed: connect ECONNREFUSED');
  });

  test('stays well-formed whatever the names and outputs hold', () => {
    const j = journal('unexpected-deviation', { file: 'experiments/<a&b>"\'.json' });
    (j.experiment as { title: string }).title = 'Quotes " \' <tags> & ]]> \u0001 control \ud800 lone';
    j.steady_states.after!.probes[0]!.output = { status: 1, stdout: '<failure message="x">&amp;</failure>\u001b[31m', stderr: '' };
    const xml = runJunit(j);
    const root = parseXml(xml);
    expect(root.name).toBe('testsuites');
    expect(root.attributes.name).toBe('Quotes " \' <tags> & ]]> \ufffd control \ufffd lone');
    expect(elements(root, 'failure')[0]!.attributes.message).toContain('<failure message="x">&amp;</failure>');
  });
});

describe('report.html', () => {
  test('writeRunReport writes report.md, report.html, junit.xml and chart.svg', async () => {
    await writeRunReport(dir, journal('safeguard'), { renderChart: stub });
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(readFileSync(path.join(dir, 'chart.svg'), 'utf8')).toBe(STUB_SVG);
    expect(readFileSync(path.join(dir, 'report.md'), 'utf8')).toMatch(/^# DynamoDB outage/);
    parseXml(readFileSync(path.join(dir, 'junit.xml'), 'utf8'));
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<style>');
    // The chart inline, without the namespace URLs.
    expect(html).toContain('<svg width="10" height="10"><rect width="1" height="1"/></svg>');
    assertSelfContained(html);
  });

  test('says what report.md says: the verdict first, every table row', () => {
    const j = journal('unexpected-deviation');
    const blocks = reportBlocks(j);
    const html = renderHtml(blocks, STUB_SVG);
    const body = html.slice(html.indexOf('<body>'));
    expect(body.indexOf('class="verdict"')).toBeLessThan(body.indexOf('<table'));
    expect(body).toContain('Deviated (not expected): after the method, the probe &quot;writes-are-accepted&quot;');
    for (const block of blocks) if (block.kind === 'table') for (const row of block.rows) expect(body).toContain(`<td>${row[0]}</td>`);
    expect((body.match(/<td>(before|after)<\/td>/g) ?? []).length).toBe(4);
  });

  test('escapes names and outputs', () => {
    const j = journal('aborted');
    (j.experiment as { title: string }).title = '<script>alert(1)</script>';
    j.run[1]!.exception = '<img src="https://example.com/x.png">';
    const html = renderHtml(reportBlocks(j), STUB_SVG);
    assertSelfContained(html);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  test('with the real chart (Vega in a process of its own: Jest cannot load its ES modules)', () => {
    const script = `
      const load = async (file) => { const m = await import(file); return m.default ?? m; };
      const { journal } = await load(${JSON.stringify(path.join(REPO_ROOT, 'test/support/ctk-journals.ts'))});
      const { writeRunReport } = await load(${JSON.stringify(path.join(REPO_ROOT, 'chaos/report/index.ts'))});
      await writeRunReport(${JSON.stringify(dir)}, journal('safeguard'));`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: scaled(60_000),
    });
    expect(`${run.status} ${run.stderr}`).toMatch(/^0 /);
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>') + 6);
    expect(svg.length).toBeGreaterThan(10_000);
    assertSelfContained(html);
    for (const label of [
      'hypothesis before: writes-are-accepted',
      'action: write-during-the-outage',
      'safeguard: dlq-stays-empty',
      'rollback: remove-the-dynamodb-fault',
      'messages in ProductEventsQueue',
      'messages in the DLQ',
      'products holding their newest value',
      'products accepted so far',
      'faults on',
      'the fault rule on dynamodb (80% of calls fail with 500 SomethingWentWrong)',
      '200 stored',
      '202 queued',
      'other: refused or failed',
      '✘ stopped the method',
    ])
      expect(svg).toContain(label);
  }, 60_000);
});

describe('the chart’s data', () => {
  test('the timeline: hypothesis before, the method in start order, hypothesis after, rollbacks; safeguard checks apart', () => {
    const { bars, checks } = timelineRows(journal('held'));
    expect(bars.map((b) => [b.row, b.start, b.result])).toEqual([
      ['hypothesis before: writes-are-accepted', 0.1, 'succeeded / within tolerance'],
      ['hypothesis before: accepted-writes-hold', 0.6, 'succeeded / within tolerance'],
      ['action: start-the-dynamodb-outage', 1.2, 'succeeded / within tolerance'],
      ['action: write-during-the-outage', 1.3, 'succeeded / within tolerance'],
      ['probe: queue-drains', 3.6, 'succeeded / within tolerance'],
      ['action: end-the-dynamodb-outage', 5.6, 'succeeded / within tolerance'],
      ['hypothesis after: writes-are-accepted', 8, 'succeeded / within tolerance'],
      ['hypothesis after: accepted-writes-hold', 8.5, 'succeeded / within tolerance'],
      ['rollback: remove-the-dynamodb-fault', 9.2, 'succeeded / within tolerance'],
    ]);
    expect(checks.map((c) => [c.row, c.end])).toEqual([
      ['safeguard: dlq-stays-empty', 1.3],
      ['safeguard: dlq-stays-empty', 3.5],
    ]);
  });

  test('series: a null reading breaks the line and leaves a dot at the last reading before it', () => {
    const { lines, dots } = seriesData(journal('held'), 9_300);
    const [, holding, queue] = lines;
    const gap = holding!.findIndex((p) => p.value === null);
    expect(holding![gap - 1]).toEqual({ t: 2.5, series: 'products holding their newest value', value: 5 });
    expect(holding![gap]).toEqual({ t: 3, series: 'products holding their newest value', value: null });
    expect(dots).toContainEqual({ t: 2.5, series: 'products holding their newest value', value: 5 });
    expect(queue!.every((p) => p.value !== null)).toBe(true);
  });

  test('writes: one per write, at its answer, in the order sent, by status', () => {
    const rows = writeRows(journal('held'));
    expect(rows).toHaveLength(30);
    expect(rows[0]).toEqual({ row: 0, sent: 0.15, answered: 0.27, status: '200 stored', id: 'ctk-1', code: 200 });
    expect(rows[1]).toMatchObject({ status: '202 queued', answered: 1.1 });
    expect(rows.filter((r) => r.status === 'other: refused or failed').map((r) => r.code)).toEqual([503]);
  });

  test('leaves out the series and writes panels when the journal has none', () => {
    expect((chartSpec(journal('held')).vconcat as unknown[]).length).toBe(3);
    expect((chartSpec(journal('held', { series: [], writes: [] })).vconcat as unknown[]).length).toBe(1);
  });
});
