/** The library summary (summary.md, junit.xml), reports/index.html over CTK, built-in and library runs, and reports/latest. */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type LibraryEntry, writeIndex, writeLibrarySummary, writeRunReport } from '../../chaos/report';
import { indexRows } from '../../chaos/report/index-page';
import { linkLatest } from '../../chaos/report/latest';
import { elements, journal, parseXml } from '../support/ctk-journals';

const stub = async () => '<svg width="1" height="1"></svg>';

let root: string;
beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'ctk-index-'))));
afterEach(() => rmSync(root, { recursive: true, force: true }));

const entries = (library: string): LibraryEntry[] => [
  {
    file: 'experiments/01-tutorial.json',
    title: 'The tutorial',
    outcome: 'held',
    expected: 'held',
    asExpected: true,
    reportDir: path.join(library, '01-tutorial'),
  },
  {
    file: 'experiments/02-fallback-off.json',
    title: 'Fallback off <loses> & "writes"',
    outcome: 'held',
    expected: 'deviated',
    asExpected: false,
    reason: 'no write was lost',
    reportDir: path.join(library, '02-fallback-off'),
  },
  {
    file: 'experiments/05-lambda.json',
    title: 'Lambda faults',
    outcome: 'skipped',
    expected: 'held',
    asExpected: true,
    reason: 'requires the offline runtime',
  },
];

describe('writeLibrarySummary', () => {
  test('summary.md: the verdict, a row per experiment with a relative link, the skipped ones named', async () => {
    const library = path.join(root, 'lib');
    await writeLibrarySummary(library, entries(library));
    const md = readFileSync(path.join(library, 'summary.md'), 'utf8');
    expect(md.split('\n')[2]).toBe('**❌ 1 of 3 did not end as expected: experiments/02-fallback-off.json (held, expected deviated).**');
    expect(md).toContain('| ✅ | The tutorial | experiments/01-tutorial.json | held | held |  | [report](01-tutorial/report.html) |');
    expect(md).toContain('| ⏭ | Lambda faults | experiments/05-lambda.json | skipped | held | requires the offline runtime |  |');
    expect(md).toContain('Skipped (count as expected): experiments/05-lambda.json (requires the offline runtime).');
    expect(JSON.parse(readFileSync(path.join(library, 'summary.json'), 'utf8')).entries[0].reportDir).toBe('01-tutorial');
  });

  test('junit.xml: one testsuite per experiment; skipped with its message; not as expected is a failure', async () => {
    await writeLibrarySummary(root, entries(root));
    const xml = parseXml(readFileSync(path.join(root, 'junit.xml'), 'utf8'));
    const suites = elements(xml, 'testsuite');
    expect(suites.map((s) => [s.attributes.name, s.attributes.tests, s.attributes.failures, s.attributes.skipped])).toEqual([
      ['The tutorial', '1', '0', '0'],
      ['Fallback off <loses> & "writes"', '1', '1', '0'],
      ['Lambda faults', '1', '0', '1'],
    ]);
    expect(elements(suites[1]!, 'failure')[0]!.attributes.message).toBe('held, expected deviated: no write was lost');
    expect(elements(suites[2]!, 'skipped')[0]!.attributes.message).toBe('skipped: requires the offline runtime');
  });

  test('every experiment as expected', async () => {
    await writeLibrarySummary(root, [entries(root)[0]!, entries(root)[2]!]);
    expect(readFileSync(path.join(root, 'summary.md'), 'utf8')).toContain('**✅ Every experiment ended as expected (1 run, 1 skipped).**');
  });
});

describe('writeIndex', () => {
  async function ctkRun(folder: string, scenario: Parameters<typeof journal>[0], start: string) {
    const dir = path.join(root, folder);
    const j = { ...journal(scenario), start };
    await writeRunReport(dir, j, { renderChart: stub });
    writeFileSync(path.join(dir, 'journal.json'), JSON.stringify(j));
    return dir;
  }

  test('lists every run folder newest first, libraries with their experiments, with relative links; not latest', async () => {
    await ctkRun('2026-03-01T100000Z-01-tutorial', 'held', '2026-03-01T10:00:00.000Z');
    await ctkRun('2026-03-03T100000Z-02-fallback-off', 'unexpected-deviation', '2026-03-03T10:00:00.000Z');
    const builtin = path.join(root, '2026-03-02T10-00-00');
    mkdirSync(builtin);
    writeFileSync(
      path.join(builtin, 'journal.json'),
      JSON.stringify({ runId: 'abc123', startedAt: '2026-03-02T10:00:00.000Z', status: 'completed', deviated: false, steps: [], summary: { held: true } }),
    );
    writeFileSync(path.join(builtin, 'report.md'), '# x');
    const library = path.join(root, '2026-03-04T100000Z-library');
    await ctkRun('2026-03-04T100000Z-library/01-tutorial', 'held', '2026-03-04T10:00:01.000Z');
    await ctkRun('2026-03-04T100000Z-library/02-fallback-off', 'expected-deviation', '2026-03-04T10:00:20.000Z');
    await writeLibrarySummary(library, [
      {
        file: 'experiments/01-tutorial.json',
        title: 'The tutorial',
        outcome: 'held',
        expected: 'held',
        asExpected: true,
        reportDir: path.join(library, '01-tutorial'),
      },
      {
        file: 'experiments/02-fallback-off.json',
        title: 'Fallback off',
        outcome: 'deviated',
        expected: 'deviated',
        asExpected: true,
        reportDir: path.join(library, '02-fallback-off'),
      },
    ]);
    mkdirSync(path.join(root, 'not-a-run'));
    symlinkSync(library, path.join(root, 'latest'));

    await writeIndex(root);
    const rows = indexRows(root);
    expect(rows.map((r) => [r.kind, r.folder, r.outcome, r.good, r.link])).toEqual([
      ['library', '2026-03-04T100000Z-library', 'all as expected', true, '2026-03-04T100000Z-library/summary.md'],
      ['ctk', '2026-03-03T100000Z-02-fallback-off', 'deviated (expected held)', false, '2026-03-03T100000Z-02-fallback-off/report.html'],
      ['builtin', '2026-03-02T10-00-00', 'held', true, '2026-03-02T10-00-00/report.md'],
      ['ctk', '2026-03-01T100000Z-01-tutorial', 'held', true, '2026-03-01T100000Z-01-tutorial/report.html'],
    ]);
    expect(rows[0]!.entries!.map((e) => [e.title, e.outcome, e.link])).toEqual([
      ['The tutorial', 'held', '2026-03-04T100000Z-library/01-tutorial/report.html'],
      ['Fallback off', 'deviated', '2026-03-04T100000Z-library/02-fallback-off/report.html'],
    ]);
    for (const row of [...rows, ...rows[0]!.entries!]) expect(existsSync(path.join(root, row.link!))).toBe(true);

    const html = readFileSync(path.join(root, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script|https?:/i);
    expect(html).toContain('<a href="2026-03-02T10-00-00/report.md">Built-in tutorial game day (abc123)</a>');
    expect(html.indexOf('2026-03-04T100000Z-library/summary.md')).toBeLessThan(html.indexOf('2026-03-03T100000Z-02-fallback-off/report.html'));
    expect(html).not.toContain('latest/');
  });

  test('an empty or missing root gives a page saying there is no run yet', async () => {
    const fresh = path.join(root, 'reports');
    await writeIndex(fresh);
    expect(readFileSync(path.join(fresh, 'index.html'), 'utf8')).toContain('No run yet.');
  });
});

describe('reports/latest', () => {
  beforeEach(() => {
    for (const name of ['run-1', 'run-2']) {
      mkdirSync(path.join(root, name));
      writeFileSync(path.join(root, name, 'report.md'), name);
    }
  });

  test('is a relative symlink to the newest run, replaced by the next', () => {
    expect(linkLatest(root, path.join(root, 'run-1'))).toBe('symlink');
    expect(linkLatest(root, path.join(root, 'run-2'))).toBe('symlink');
    expect(readlinkSync(path.join(root, 'latest'))).toBe('run-2');
    expect(readFileSync(path.join(root, 'latest', 'report.md'), 'utf8')).toBe('run-2');
    expect(existsSync(path.join(root, 'run-1', 'report.md'))).toBe(true);
  });

  test('is a copy where symlinks cannot be made, and a symlink again once they can', () => {
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
