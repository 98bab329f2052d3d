/**
 * The experiment library run as a user runs it: `scripts/experiment.ts <file>` against an offline
 * runtime with the tests' scaled timings, each file with its waits scaled down through `--var`.
 * Split in two suites (experiment-library-1 and -2) so Jest's two workers run halves side by side.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fastTimings, type Timings } from '../../offline/runtime/compose';
import { JOURNAL_EXTRAS, type Journal } from '../../chaos/runner/journal';
import { type OfflineRuntime, runtimeForSuite } from '../support/offline';
import { runTs } from '../support/run-ts';

/** The tests' timings, and a redrive threshold of 6 receives, so 07's outage passes it in seconds. */
export const libraryTimings: Partial<Timings> = { ...fastTimings, maxReceiveCount: 6 };

/** Waits scaled for CI: outages of seconds, two products; what each file reads beyond these is its own. */
const common = { products: 2, settle_seconds: 30 };

export interface Case {
  file: string;
  vars?: Record<string, number>;
  expected: 'held' | 'deviated';
  /** Checks of what the run shows beyond its outcome: that the experiment tested what it says. */
  shows?: (run: LibraryRun, runtime: OfflineRuntime) => void;
}

export interface LibraryRun {
  code: number | null;
  journal: Journal;
  stdout: string;
  stderr: string;
  ms: number;
  /** The parsed stdout of a probe or action (a probe CLI line), by name and phase. */
  output(phase: 'before' | 'after' | 'run', name: string): Record<string, unknown>;
}

function parseRun(result: { code: number | null; stdout: string; stderr: string; ms: number }, dir: string): LibraryRun {
  const journal = JSON.parse(readFileSync(path.join(dir, 'journal.json'), 'utf8')) as Journal;
  const output = (phase: 'before' | 'after' | 'run', name: string) => {
    const runs = phase === 'run' ? journal.run : (journal.steady_states[phase]?.probes ?? []);
    const found = runs.find((run) => (run.activity as { name: string }).name === name);
    if (!found) throw new Error(`no ${phase} activity named ${name} in the journal`);
    return JSON.parse(String((found.output as { stdout?: string }).stdout)) as Record<string, unknown>;
  };
  return { ...result, journal, output };
}

/** Status counts of a write probe's output: {"200": n, ...}. */
export const statuses = (output: Record<string, unknown>) => output.statuses as Record<string, number>;

/** One suite: a runtime of its own, then each case in turn, each run's time printed at the end. */
export function librarySuite(cases: Case[]): void {
  let runtime: OfflineRuntime;
  let reports: string;
  const times: string[] = [];
  runtimeForSuite((started) => (runtime = started), { timings: libraryTimings });
  beforeAll(() => {
    reports = mkdtempSync(path.join(os.tmpdir(), 'library-'));
  });
  afterAll(() => {
    rmSync(reports, { recursive: true, force: true });
    process.stdout.write(`Experiment library, wall time per run:\n${times.join('\n')}\n`);
  });

  it.each(cases)(
    '$file ends $expected, as the library says, and undoes everything it injected',
    async ({ file, vars = {}, expected, shows }) => {
      const dir = path.join(reports, path.basename(file, '.json'));
      const args = [`experiments/${file}`, '--endpoint', runtime.url, '--report-dir', dir, '--seed', '1'];
      for (const [key, value] of Object.entries({ ...common, ...vars })) args.push('--var', `${key}=${value}`);
      const result = await runTs('scripts/experiment.ts', args, 170_000);
      times.push(`  ${file}: ${(result.ms / 1000).toFixed(1)} s`);
      const run = parseRun(result, dir);
      const why = `${result.stdout}\n${result.stderr}`;

      expect({ status: run.journal.status, deviated: run.journal.deviated, reason: run.journal[JOURNAL_EXTRAS].reason }).toEqual({
        status: 'completed',
        deviated: expected === 'deviated',
        reason: expected === 'deviated' ? expect.stringContaining('deviated') : undefined,
      });
      expect(run.journal[JOURNAL_EXTRAS].expected?.outcome).toBe(expected);
      // One file: 0 held, 1 deviated (even when expected: the library summary of --all compares).
      expect([result.code, why]).toEqual([expected === 'held' ? 0 : 1, why]);
      expect(run.journal.rollbacks.map((rollback) => rollback.status)).toEqual(run.journal.rollbacks.map(() => 'succeeded'));
      // Every run that wrote has its write table and where its products ended.
      if ((run.journal[JOURNAL_EXTRAS].writes ?? []).length > 0) {
        expect(run.journal[JOURNAL_EXTRAS].products).toMatchObject({ accepted: expect.any(Number) });
        expect(readFileSync(path.join(dir, 'report.md'), 'utf8')).toContain('## Writes');
      }
      // Nothing left injected for the next experiment.
      expect((await runtime.chaos('GET', 'faults')).json).toEqual([]);
      expect((await runtime.chaos('GET', 'effects')).json).toMatchObject({ latency: 0 });
      shows?.(run, runtime);
    },
    180_000,
  );
}
