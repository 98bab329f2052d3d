/**
 * What the runner prints and records of each run: its outcome, in one word and in one line, and
 * the progress lines while it runs.
 */
import type { Journal } from './journal';
import type { RunEvent } from './run';

export type Outcome = 'held' | 'deviated' | 'failed' | 'aborted' | 'interrupted' | 'skipped';

export interface LibraryEntry {
  file: string;
  title: string;
  outcome: Outcome;
  expected: 'held' | 'deviated';
  asExpected: boolean;
  reason?: string;
  /** What the run left on the target once it ended, and whether that settled (leftoverText). */
  leftover?: string;
  reportDir?: string;
}

/** What the run ended as. */
export function outcomeOf(journal: Pick<Journal, 'status' | 'deviated'>): Exclude<Outcome, 'skipped'> {
  if (journal.status === 'completed') return journal.deviated ? 'deviated' : 'held';
  return journal.status;
}

/** The progress lines: one per activity, ✔/✘ for the hypothesis and safeguard probes. */
export function progressLines(print: (line: string) => void, tty = false, write: (text: string) => void = (text) => process.stdout.write(text)) {
  let open: string | undefined;
  return (event: RunEvent) => {
    const checked = event.phase === 'before' || event.phase === 'after' || event.phase === 'safeguard';
    const label = `${event.phase === 'rollback' ? '↩ rollback' : '▶'} ${event.name}`;
    if (event.kind === 'start') {
      if (tty && !checked && open === undefined && event.activity.background !== true) {
        open = event.name;
        write(`${label} …`);
      }
      return;
    }
    const { run } = event;
    let line: string;
    if (checked) {
      const phase = { before: 'before the method', after: 'after the method', safeguard: 'safeguard' }[event.phase as 'before'];
      const why = run.status === 'failed' ? ` (could not run: ${run.exception})` : run.tolerance_met ? '' : ' (outside its tolerance)';
      line = `  ${run.tolerance_met ? '✔' : '✘'} ${phase}: ${event.name}${why}`;
    } else {
      line = `${label} … ${run.status === 'succeeded' ? 'succeeded' : `failed: ${run.exception}`} (${run.duration.toFixed(1)} s)`;
    }
    if (open === event.name) {
      open = undefined;
      write(`\r\x1b[K`);
    } else if (open !== undefined) {
      // Another activity's line is open: end it first.
      open = undefined;
      write('\n');
    }
    print(line);
  };
}

/** The outcome as one line. */
export function outcomeLine(entry: Pick<LibraryEntry, 'outcome' | 'expected' | 'reason'>): string {
  const reason = entry.reason ? `: ${entry.reason}` : '';
  switch (entry.outcome) {
    case 'held':
      return `✔ HELD: the steady state held before and after the method${entry.expected === 'deviated' ? ' (NOT as expected: it was expected to deviate)' : ''}`;
    case 'deviated':
      return `${entry.expected === 'deviated' ? '✔ DEVIATED, as expected' : '✘ DEVIATED'}${reason}`;
    case 'failed':
      return `✘ FAILED${reason}`;
    case 'aborted':
      return `! ABORTED${reason}`;
    case 'interrupted':
      return `■ INTERRUPTED${reason}`;
    case 'skipped':
      return `- SKIPPED${reason}`;
  }
}
