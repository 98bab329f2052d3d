/**
 * The CTK runner's reports: per run report.md, report.html (self-contained), junit.xml and
 * chart.svg; per library run summary.md, summary.json and junit.xml; and reports/index.html.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Journal } from '../runner/journal';
import { renderChart } from './chart';
import { reportBlocks } from './document';
import { renderHtml } from './html';
import { writeIndexPage } from './index-page';
import { type LibraryEntry, libraryJunit, runJunit } from './junit';
import { renderMarkdown, mdText } from './markdown';

export type { LibraryEntry } from './junit';
export { asExpected, expectedOf, leftoverText, outcomeLine, outcomeOf, type Outcome, type ReportExtras, type SeriesSample, type WriteRecord } from './model';

export interface RunReportOptions {
  /** Renders the chart to SVG (Vega by default; tests pass their own, as Jest cannot load Vega's ES modules). */
  renderChart?: (journal: Journal) => Promise<string>;
  /** Other files in the folder, named in the report (the demo's runtime.log). */
  attachments?: string[];
}

export async function writeRunReport(dir: string, journal: Journal, options: RunReportOptions = {}): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const blocks = reportBlocks(journal, options.attachments);
  const svg = await (options.renderChart ?? renderChart)(journal);
  writeFileSync(path.join(dir, 'chart.svg'), svg);
  writeFileSync(path.join(dir, 'report.md'), renderMarkdown(blocks));
  writeFileSync(path.join(dir, 'report.html'), renderHtml(blocks, svg));
  writeFileSync(path.join(dir, 'junit.xml'), runJunit(journal));
}

const icon = (entry: LibraryEntry) => (entry.outcome === 'skipped' ? '⏭' : entry.asExpected ? '✅' : '❌');

/** Why an entry did not end as expected: its outcome, or what it left on the target. */
const notAsExpected = (entry: LibraryEntry) =>
  [entry.outcome === entry.expected ? entry.outcome : `${entry.outcome}, expected ${entry.expected}`, entry.leftover].filter(Boolean).join('; ');

export function librarySummaryMarkdown(dir: string, entries: LibraryEntry[]): string {
  const ran = entries.filter((e) => e.outcome !== 'skipped');
  const skipped = entries.filter((e) => e.outcome === 'skipped');
  const bad = entries.filter((e) => !e.asExpected);
  const verdict =
    bad.length === 0
      ? `✅ Every experiment ended as expected (${ran.length} run${skipped.length > 0 ? `, ${skipped.length} skipped` : ''}).`
      : `❌ ${bad.length} of ${entries.length} did not end as expected: ${bad.map((e) => `${e.file} (${notAsExpected(e)})`).join(', ')}.`;
  const link = (entry: LibraryEntry) => (entry.reportDir ? `[report](${encodeURI(`${entry.reportDir}/report.html`)})` : '');
  return [
    `# Experiment library: ${entries.length} experiment${entries.length === 1 ? '' : 's'}`,
    '',
    `**${mdText(verdict)}**`,
    '',
    '| | experiment | file | outcome | expected | reason | report |',
    '|---|---|---|---|---|---|---|',
    ...entries.map(
      (e) =>
        `| ${icon(e)} | ${mdText(e.title)} | ${mdText(e.file)} | ${e.outcome} | ${e.expected} | ${mdText([e.reason, e.leftover].filter(Boolean).join('; '))} | ${link(e)} |`,
    ),
    '',
    ...(skipped.length > 0
      ? [`Skipped (count as expected): ${skipped.map((e) => `${mdText(e.file)}${e.reason ? ` (${mdText(e.reason)})` : ''}`).join('; ')}.`, '']
      : []),
  ].join('\n');
}

/**
 * A run folder relative to the library folder, with / separators: an absolute path, a path
 * relative to the library folder (when it exists there), or one relative to the working directory.
 */
function relativeRunDir(dir: string, reportDir: string): string {
  const absolute = path.isAbsolute(reportDir) || !existsSync(path.resolve(dir, reportDir)) ? path.resolve(reportDir) : path.resolve(dir, reportDir);
  return path.relative(dir, absolute).split(path.sep).join('/') || '.';
}

export async function writeLibrarySummary(dir: string, given: LibraryEntry[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const entries = given.map((entry) => (entry.reportDir ? { ...entry, reportDir: relativeRunDir(dir, entry.reportDir) } : entry));
  writeFileSync(path.join(dir, 'summary.md'), librarySummaryMarkdown(dir, entries));
  writeFileSync(path.join(dir, 'summary.json'), `${JSON.stringify({ entries }, null, 2)}\n`);
  writeFileSync(path.join(dir, 'junit.xml'), libraryJunit(entries));
}

export async function writeIndex(reportsRoot: string): Promise<void> {
  mkdirSync(reportsRoot, { recursive: true });
  writeIndexPage(reportsRoot);
}
