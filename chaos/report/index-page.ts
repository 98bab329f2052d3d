/**
 * reports/index.html: every run folder under the reports root, newest first: the CTK runs (a
 * journal.json with `experiment` and `steady_states`), the runs of the former built-in game
 * day still in older reports folders (a journal.json with `runId` and `steps`) and the library
 * runs (a summary.md, listed with their experiments). Links are relative, so the folder can be moved or served as it is.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Journal } from '../runner/journal';
import { escapeHtml } from './html';
import type { LibraryEntry } from './junit';
import { asExpected, expectedOf, outcomeOf, titleOf } from './model';

export interface IndexRow {
  kind: 'ctk' | 'builtin' | 'library';
  /** The folder, relative to the reports root (with / separators). */
  folder: string;
  title: string;
  start: string;
  outcome: string;
  /** Whether it ended as expected (CTK and library runs), or held (built-in runs). */
  good: boolean;
  link?: string;
  entries?: IndexRow[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

const posix = (p: string) => p.split(path.sep).join('/');
const reportLink = (root: string, dir: string) => {
  for (const name of ['report.html', 'report.md', 'summary.md']) if (existsSync(path.join(dir, name))) return posix(path.relative(root, path.join(dir, name)));
  return undefined;
};
const mtime = (dir: string) => statSync(dir).mtime.toISOString();

/** One run folder (a CTK or built-in run), or undefined when it holds no journal we know. */
export function runRow(root: string, dir: string): IndexRow | undefined {
  const journal = readJson(path.join(dir, 'journal.json'));
  if (!isRecord(journal)) return undefined;
  const folder = posix(path.relative(root, dir));
  if ('experiment' in journal && 'steady_states' in journal) {
    const j = journal as unknown as Journal;
    const outcome = outcomeOf(j);
    const expected = expectedOf(j);
    return {
      kind: 'ctk',
      folder,
      title: titleOf(j),
      start: typeof j.start === 'string' ? j.start : mtime(dir),
      outcome: outcome === expected ? outcome : `${outcome} (expected ${expected})`,
      good: asExpected(j),
      link: reportLink(root, dir),
    };
  }
  if ('runId' in journal && 'steps' in journal) {
    const status = String(journal.status);
    const held = isRecord(journal.summary) && journal.summary.held === true;
    return {
      kind: 'builtin',
      folder,
      title: `Built-in tutorial game day (${String(journal.runId)})`,
      start: typeof journal.startedAt === 'string' ? journal.startedAt : mtime(dir),
      outcome: status === 'completed' ? (held ? 'held' : 'a hypothesis failed') : status,
      good: status === 'completed' && held,
      link: reportLink(root, dir),
    };
  }
  return undefined;
}

function libraryRow(root: string, dir: string): IndexRow {
  const summary = readJson(path.join(dir, 'summary.json'));
  const declared: LibraryEntry[] = isRecord(summary) && Array.isArray(summary.entries) ? (summary.entries as LibraryEntry[]) : [];
  const runs = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => runRow(root, path.join(dir, d.name)))
    .filter((row): row is IndexRow => row !== undefined);
  const entries: IndexRow[] =
    declared.length > 0
      ? declared.map((entry) => {
          const runDir = entry.reportDir ? path.resolve(dir, entry.reportDir) : undefined;
          const run = runDir ? runs.find((r) => path.resolve(root, r.folder) === runDir) : undefined;
          return {
            kind: 'ctk',
            folder: run?.folder ?? entry.file,
            title: entry.title,
            start: run?.start ?? '',
            outcome: entry.outcome === entry.expected ? entry.outcome : `${entry.outcome} (expected ${entry.expected})`,
            good: entry.asExpected,
            ...(run?.link ? { link: run.link } : {}),
          };
        })
      : runs.sort((a, b) => a.start.localeCompare(b.start));
  const starts = runs.map((r) => r.start).sort();
  const bad = entries.filter((e) => !e.good).length;
  return {
    kind: 'library',
    folder: posix(path.relative(root, dir)),
    title: `Experiment library (${entries.length} experiment${entries.length === 1 ? '' : 's'})`,
    start: starts[0] ?? mtime(dir),
    outcome: bad === 0 ? 'all as expected' : `${bad} not as expected`,
    good: bad === 0,
    link: reportLink(root, dir),
    entries,
  };
}

/** Every run and library folder directly under the root, newest first. */
export function indexRows(root: string): IndexRow[] {
  if (!existsSync(root)) return [];
  const rows: IndexRow[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    // `latest` points at (or is a copy of) a folder already listed.
    if (!entry.isDirectory() || entry.name === 'latest' || entry.name.startsWith('.')) continue;
    const dir = path.join(root, entry.name);
    if (existsSync(path.join(dir, 'summary.md')) || existsSync(path.join(dir, 'summary.json'))) rows.push(libraryRow(root, dir));
    else {
      const row = runRow(root, dir);
      if (row) rows.push(row);
    }
  }
  return rows.sort((a, b) => b.start.localeCompare(a.start) || b.folder.localeCompare(a.folder));
}

const cell = (row: IndexRow) => {
  const title = row.link ? `<a href="${escapeHtml(row.link)}">${escapeHtml(row.title)}</a>` : escapeHtml(row.title);
  const mark = row.good ? '✔' : '✘';
  return `<td>${escapeHtml(row.start.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</td><td>${title}</td><td class="${row.good ? 'good' : 'bad'}">${mark} ${escapeHtml(row.outcome)}</td><td><code>${escapeHtml(row.folder)}</code></td>`;
};

export function indexHtml(rows: IndexRow[]): string {
  const body = rows.flatMap((row) => [
    `<tr class="${row.kind}">${cell(row)}</tr>`,
    ...(row.entries ?? []).map((entry) => `<tr class="entry">${cell(entry)}</tr>`),
  ]);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<title>Chaos experiment reports</title>',
    `<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px auto; max-width: 1100px; padding: 0 16px; color: #1a1a1a; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 5px 8px; text-align: left; vertical-align: top; }
tr.library td { background: #f2f2f2; font-weight: 600; }
tr.entry td:nth-child(2) { padding-left: 28px; }
td.good { color: #00734f; }
td.bad { color: #b84a00; font-weight: 600; }
code { font-size: 0.85em; color: #555; }
</style>`,
    '</head>',
    '<body>',
    '<h1>Chaos experiment reports</h1>',
    rows.length === 0
      ? '<p>No run yet. Run <code>npm run experiment -- --all</code> or <code>npm run demo</code>.</p>'
      : `<p>${rows.length} run${rows.length === 1 ? '' : 's'}, newest first. ✔ ended as expected (held, or the deviation an experiment expects); ✘ did not.</p>\n<table>\n<thead><tr><th>started (UTC)</th><th>experiment</th><th>outcome</th><th>folder</th></tr></thead>\n<tbody>\n${body.join('\n')}\n</tbody>\n</table>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

export function writeIndexPage(root: string): void {
  writeFileSync(path.join(root, 'index.html'), indexHtml(indexRows(root)));
}
