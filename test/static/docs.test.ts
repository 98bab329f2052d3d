/**
 * The Markdown stays navigable: every relative link in the repository's *.md files reaches a file,
 * every `#anchor` a heading of its page (by GitHub's slugs, as github.com renders them), and the
 * README stays short enough to read in five minutes; the rest belongs in docs/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../shared/paths';

const README_MAX_LINES = 200;

/** Tracked Markdown files and new ones not yet added; git's ignore rules leave out node_modules, reports and the like. */
function markdownFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z', '--', '*.md'], { cwd: REPO_ROOT, encoding: 'utf8' });
  // A tracked file deleted in the work tree is still listed.
  return [...new Set(listed.split('\0'))].filter((file) => file !== '' && existsSync(path.join(REPO_ROOT, file))).sort();
}

/** The text with fenced code blocks blanked line for line (so line numbers hold), and HTML comments removed. */
function proseOf(markdown: string): string {
  let fence: string | undefined;
  const lines = markdown.split('\n').map((line) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker) {
      fence = marker;
      return '';
    }
    if (fence !== undefined) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = undefined;
      return '';
    }
    return line;
  });
  return lines.join('\n').replace(/<!--[\s\S]*?-->/g, (comment) => comment.replace(/[^\n]/g, ''));
}

/** Inline code spans blanked: a path in backticks is text, not a link. */
const withoutCodeSpans = (line: string) => line.replace(/(`+)[^`][\s\S]*?\1/g, (span) => ' '.repeat(span.length));

/** GitHub's heading slug: the rendered text, lower-cased, punctuation dropped, each space a hyphen. */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '');
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a page offers: its headings' slugs (repeats numbered as GitHub does) and explicit ids. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseOf(markdown).split('\n')) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const base = slug(heading);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const [, id = ''] of line.matchAll(/<a\s[^>]*(?:name|id)="([^"]+)"/g)) anchors.add(id);
  }
  return anchors;
}

interface Link {
  line: number;
  target: string;
}

/** Inline links and images `[text](target)`, and reference definitions `[name]: target`. */
function linksOf(markdown: string): Link[] {
  const links: Link[] = [];
  proseOf(markdown)
    .split('\n')
    .forEach((raw, index) => {
      const line = withoutCodeSpans(raw);
      for (const [, target = ''] of line.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+["'(][^)]*)?\)/g)) links.push({ line: index + 1, target });
      const reference = /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(line)?.[1];
      if (reference !== undefined) links.push({ line: index + 1, target: reference });
    });
  return links;
}

const external = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** What is wrong with one link of `file`, or undefined when it resolves. */
function problemOf(file: string, target: string, pages: Map<string, Set<string>>): string | undefined {
  const hash = target.indexOf('#');
  const pathPart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
  const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  // A path from the repository's root starts with '/', as on GitHub.
  const resolved = pathPart === '' ? file : pathPart.startsWith('/') ? pathPart.slice(1) : path.posix.join(path.posix.dirname(file), pathPart);
  if (resolved.startsWith('..')) return 'leaves the repository';
  if (!existsSync(path.join(REPO_ROOT, resolved))) return `no file ${resolved}`;
  if (anchor === undefined || anchor === '' || !resolved.endsWith('.md')) return undefined;
  let anchors = pages.get(resolved);
  if (!anchors) {
    anchors = anchorsOf(readFileSync(path.join(REPO_ROOT, resolved), 'utf8'));
    pages.set(resolved, anchors);
  }
  return anchors.has(anchor) ? undefined : `no heading #${anchor} in ${resolved}`;
}

describe('the Markdown', () => {
  const files = markdownFiles();

  it('is found: the README and the docs pages are among the files checked', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'ARCHITECTURE.md', 'CONTRIBUTING.md', 'docs/tutorial.md']));
  });

  it('links only to files and headings that exist', () => {
    const pages = new Map<string, Set<string>>();
    const problems: string[] = [];
    let checked = 0;
    for (const file of files) {
      for (const { line, target } of linksOf(readFileSync(path.join(REPO_ROOT, file), 'utf8'))) {
        if (external(target)) continue;
        checked += 1;
        const problem = problemOf(file, target, pages);
        if (problem) problems.push(`${file}:${line}: (${target}) ${problem}`);
      }
    }
    expect(problems).toEqual([]);
    // The README alone links to every docs page: a parser that found nothing would pass the line above.
    expect(checked).toBeGreaterThan(20);
  });

  it(`keeps the README at most ${README_MAX_LINES} lines`, () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme.replace(/\n$/, '').split('\n').length).toBeLessThanOrEqual(README_MAX_LINES);
  });
});

describe('slug', () => {
  // As github.com renders these headings' anchors.
  it.each([
    ['Deploy: the offline runtime beside moto_server', 'deploy-the-offline-runtime-beside-moto_server'],
    ["The runtime's memory", 'the-runtimes-memory'],
    ['Under `chaos run`', 'under-chaos-run'],
    ['What matches the tutorial, and what differs', 'what-matches-the-tutorial-and-what-differs'],
    ['To add X, touch Y', 'to-add-x-touch-y'],
    ['Café – 5 × 2', 'café--5--2'],
  ])('%j → %s', (heading, expected) => {
    expect(slug(heading)).toBe(expected);
  });
});
