/**
 * JUnit XML for CI: a run is one <testsuite> (a test case per hypothesis probe check before and
 * after, per safeguard, one for the rollbacks and one for the outcome); the library summary is
 * one <testsuite> per experiment. An expected deviation is not a failure: its test cases pass
 * and say in <system-out> that the deviation was expected.
 */
import type { Journal } from '../runner/journal';
import { asExpected, expectedOf, extrasOf, type Outcome, outcomeLine, outcomeOf, probeLines, rollbackLines, safeguardLines, titleOf } from './model';

/** Text and attribute values: escaped, and without the characters XML 1.0 cannot carry. */
export function xmlEscape(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
      .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

const attrs = (values: Record<string, string | number | undefined>) =>
  Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');

export interface TestCase {
  name: string;
  classname: string;
  time?: number;
  failure?: { message: string; type: string; text?: string };
  skipped?: string;
  systemOut?: string;
}

function testCase(tc: TestCase): string {
  const open = `    <testcase${attrs({ name: tc.name, classname: tc.classname, time: tc.time === undefined ? undefined : tc.time.toFixed(3) })}`;
  const inner: string[] = [];
  if (tc.failure)
    inner.push(`      <failure${attrs({ message: tc.failure.message, type: tc.failure.type })}>${xmlEscape(tc.failure.text ?? tc.failure.message)}</failure>`);
  if (tc.skipped !== undefined) inner.push(`      <skipped${attrs({ message: tc.skipped })}/>`);
  if (tc.systemOut) inner.push(`      <system-out>${xmlEscape(tc.systemOut)}</system-out>`);
  return inner.length === 0 ? `${open}/>` : `${open}>\n${inner.join('\n')}\n    </testcase>`;
}

export function testSuite(name: string, cases: TestCase[], extra: Record<string, string | number | undefined> = {}): string {
  const failures = cases.filter((c) => c.failure).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const time = cases.reduce((sum, c) => sum + (c.time ?? 0), 0);
  return [
    `  <testsuite${attrs({ name, tests: cases.length, failures, errors: 0, skipped, time: time.toFixed(3), ...extra })}>`,
    ...cases.map(testCase),
    '  </testsuite>',
  ].join('\n');
}

export const testSuites = (name: string, suites: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${attrs({ name })}>\n${suites.join('\n')}\n</testsuites>\n`;

/** The run's test cases. */
export function runCases(journal: Journal): TestCase[] {
  const extras = extrasOf(journal);
  const classname = extras.file ?? titleOf(journal);
  const expectedDeviation = outcomeOf(journal) === 'deviated' && expectedOf(journal) === 'deviated';
  const why = extras.expected?.why ? ` (${extras.expected.why})` : '';
  const cases: TestCase[] = probeLines(journal).map((p) => {
    const tc: TestCase = { name: `hypothesis ${p.phase}: ${p.name}`, classname, time: p.run?.duration ?? 0 };
    if (p.verdict === 'not run') tc.skipped = `not run: ${p.detail}`;
    else if (p.verdict === 'could not run') tc.failure = { message: `could not run: ${p.detail}`, type: 'could-not-run' };
    else if (p.verdict === 'outside tolerance') {
      const message = `outside its tolerance ${p.tolerance}: observed ${p.detail}`;
      if (p.phase === 'after' && expectedDeviation) tc.systemOut = `Expected deviation${why}: ${message}`;
      else tc.failure = { message, type: 'outside-tolerance' };
    }
    return tc;
  });
  for (const s of safeguardLines(journal)) {
    const tc: TestCase = { name: `safeguard: ${s.name}`, classname, time: s.runs.reduce((sum, r) => sum + r.duration, 0) };
    if (s.missed > 0)
      tc.failure = { message: `${s.tripped ? 'stopped the method' : 'missed'} (${s.missed} of ${s.checks} checks): ${s.detail}`, type: 'safeguard' };
    else tc.systemOut = `${s.checks} checks, all within tolerance`;
    cases.push(tc);
  }
  const rollbacks = rollbackLines(journal);
  const failedRollbacks = rollbacks.filter((r) => r.status === 'failed');
  const rollbackCase: TestCase = { name: 'rollbacks', classname, time: rollbacks.reduce((sum, r) => sum + (r.duration ?? 0), 0) };
  if (rollbacks.length === 0) rollbackCase.systemOut = 'no rollback declared';
  else if (failedRollbacks.length > 0)
    rollbackCase.failure = { message: failedRollbacks.map((r) => `the rollback "${r.name}" failed: ${r.detail}`).join('; '), type: 'rollback' };
  else rollbackCase.systemOut = `${rollbacks.length} rollback(s) succeeded`;
  cases.push(rollbackCase);
  // The outcome against what the experiment expected: the one case that fails exactly when the runner's exit code is not 0.
  const outcome: TestCase = { name: `outcome: ${outcomeOf(journal)} (expected ${expectedOf(journal)})`, classname, time: journal.duration };
  if (asExpected(journal)) outcome.systemOut = outcomeLine(journal);
  else outcome.failure = { message: outcomeLine(journal), type: outcomeOf(journal) };
  cases.push(outcome);
  return cases;
}

export function runJunit(journal: Journal): string {
  const extras = extrasOf(journal);
  return testSuites(titleOf(journal), [testSuite(titleOf(journal), runCases(journal), { timestamp: journal.start, file: extras.file, hostname: undefined })]);
}

/** One experiment of a library run, as the summary and the JUnit file record it. */
export interface LibraryEntry {
  file: string;
  title: string;
  outcome: Outcome | 'skipped';
  expected: 'held' | 'deviated';
  asExpected: boolean;
  reason?: string;
  /** What the run left on the target (leftoverText). */
  leftover?: string;
  reportDir?: string;
}

export function libraryJunit(entries: LibraryEntry[]): string {
  const suites = entries.map((entry) => {
    const tc: TestCase = { name: `outcome: ${entry.outcome} (expected ${entry.expected})`, classname: entry.file };
    const because = `${entry.reason ? `: ${entry.reason}` : ''}${entry.leftover ? `; ${entry.leftover}` : ''}`;
    if (entry.outcome === 'skipped') tc.skipped = `skipped${because}`;
    else if (!entry.asExpected)
      tc.failure = {
        message: `${entry.outcome === entry.expected ? entry.outcome : `${entry.outcome}, expected ${entry.expected}`}${because}`,
        type: entry.outcome,
      };
    else tc.systemOut = `${entry.outcome}, as expected${because}${entry.reportDir ? ` (report: ${entry.reportDir})` : ''}`;
    return testSuite(entry.title, [tc], { file: entry.file });
  });
  return testSuites('experiment library', suites);
}
