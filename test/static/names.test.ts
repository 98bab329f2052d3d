/**
 * One name per concept, and names that do not lie: every file a comment names exists,
 * experiment numbers are unique, and no exported name is declared by two modules outside the
 * tests. Each allowlist below only shrinks: an entry that no longer applies fails too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { EXPERIMENTS_DIR, REPO_ROOT } from '../../shared/paths';

const SOURCE = /\.(ts|tsx|mjs|cjs|js)$/;
/** What git does not hold: installed, built or written by a run. */
const UNTRACKED = new Set(['node_modules', 'dist', 'cdktf.out', '.gen', 'coverage', 'reports', '.git', '.terraform']);

/** Every file of the repository, relative to its root. */
function walk(dir = ''): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return UNTRACKED.has(entry.name) ? [] : walk(file);
    return [file];
  });
}
const files = walk();
const sources = files.filter((file) => SOURCE.test(file));
const parse = (file: string) =>
  ts.createSourceFile(
    file,
    readFileSync(path.join(REPO_ROOT, file), 'utf8'),
    ts.ScriptTarget.Latest,
    true,
    /\.(m|c)?js$/.test(file) ? ts.ScriptKind.JS : undefined,
  );

/** The text of every comment in a source file. */
function comments(source: ts.SourceFile): string[] {
  const seen = new Map<number, string>();
  const visit = (node: ts.Node) => {
    const ranges = [...(ts.getLeadingCommentRanges(source.text, node.pos) ?? []), ...(ts.getTrailingCommentRanges(source.text, node.end) ?? [])];
    for (const range of ranges) seen.set(range.pos, source.text.slice(range.pos, range.end));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return [...seen.values()];
}

/** Files a comment may name that are not in the tree: what a build or a run writes, and other projects' files. */
const NAMED_ELSEWHERE = new Set([
  // A run's report folder (chaos/report/) and the reports index.
  'report.md',
  'report.html',
  'journal.json',
  'summary.md',
  'summary.json',
  'reports/index.html',
  'reports/bench.json',
  // The bundles (dist/<function>/index.js, dist/dashboard/) and the URL the dashboard serves its page at.
  'index.js',
  'app.js',
  'app.css',
  'dist/dashboard/app.js',
  '/dashboard/app.js',
  // Other projects: botocore's endpoints, the Chaos Toolkit's reference pages; and Node.js, which is no file.
  'endpoints.json',
  'reference/api/journal.md',
  'reference/api/experiment.md',
  'Node.js',
]);

/** A file name in a comment exists when it is a path from the commenting file (./, ../), or the end of a path in the tree. */
function exists(named: string, from: string): boolean {
  if (named.startsWith('./') || named.startsWith('../')) return files.includes(path.posix.join(path.posix.dirname(from), named));
  return files.some((file) => file === named || file.endsWith(`/${named}`));
}

it('names in comments only files that exist', () => {
  const stale = new Set<string>();
  const used = new Set<string>();
  for (const file of sources) {
    for (const comment of comments(parse(file))) {
      const text = comment.replace(/\bhttps?:\/\/\S+/g, '');
      for (const [named] of text.matchAll(/[\w@.*<>{}/-]+\.(?:tsx?|[mc]?js|json|md|html|css)\b/g)) {
        if (/[*<>{}]/.test(named) || exists(named, file)) continue;
        if (NAMED_ELSEWHERE.has(named)) used.add(named);
        else stale.add(`${file}: ${named}`);
      }
    }
  }
  expect([...stale]).toEqual([]);
  expect([...NAMED_ELSEWHERE].filter((named) => !used.has(named))).toEqual([]);
});

it('numbers each experiment once', () => {
  const numbers = readdirSync(path.join(REPO_ROOT, EXPERIMENTS_DIR))
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.split('-')[0]);
  expect(numbers.filter((number, i) => numbers.indexOf(number) !== i)).toEqual([]);
});

/** The names a module declares and exports (not those it imports and exports again). */
function exportedNames(source: ts.SourceFile): string[] {
  const imported = new Set(
    source.statements
      .filter(ts.isImportDeclaration)
      .flatMap(({ importClause }) => [
        ...(importClause?.name ? [importClause.name.text] : []),
        ...(importClause?.namedBindings && ts.isNamedImports(importClause.namedBindings) ? importClause.namedBindings.elements.map((e) => e.name.text) : []),
      ]),
  );
  return source.statements.flatMap((statement) => {
    if (ts.isExportDeclaration(statement)) {
      if (statement.moduleSpecifier || !statement.exportClause || !ts.isNamedExports(statement.exportClause)) return [];
      return statement.exportClause.elements.filter((e) => !imported.has((e.propertyName ?? e.name).text)).map((e) => e.name.text);
    }
    if (!ts.canHaveModifiers(statement) || !ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return [];
    if (ts.isVariableStatement(statement)) return statement.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []));
    const { name } = statement as { name?: ts.Node };
    return name && ts.isIdentifier(name) ? [name.text] : [];
  });
}

/**
 * Names declared once per module of a kind: every Lambda's `handler` (the runtime finds it) and
 * `createHandler` (the tests build one); and AWS's tagging operations, which each control plane serves.
 */
const DECLARED_PER_MODULE = new Set(['handler', 'createHandler', 'tagResource', 'untagResource']);

it('declares each exported name in one module outside the tests', () => {
  const where = new Map<string, string[]>();
  for (const file of sources.filter((name) => /\.tsx?$/.test(name) && !name.endsWith('.d.ts') && !name.startsWith('test/'))) {
    for (const name of exportedNames(parse(file))) where.set(name, [...(where.get(name) ?? []), file]);
  }
  const twice = [...where].filter(([name, modules]) => modules.length > 1 && !DECLARED_PER_MODULE.has(name));
  expect(twice.map(([name, modules]) => `${name}: ${modules.join(', ')}`)).toEqual([]);
});
