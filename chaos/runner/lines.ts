/**
 * What the runner prints and records of each run: its outcome, in one word and in one line, and
 * the progress lines while it runs.
 */
import type { LibraryEntry } from '../report/junit';
import type { RunEvent } from './run';
import type { LiveState } from './sampler';

/** The live state while an activity runs, from the sampler's newest reading. */
export function liveText(state: LiveState | undefined): string | undefined {
  if (!state) return undefined;
  const known = (value: number | null) => (value === null ? '?' : String(value));
  return `${state.writes} writes answered; ${known(state.holding)}/${state.accepted} products hold their newest value; queue ${known(state.queue)}, DLQ ${known(state.dlq)}`;
}

export interface LiveOptions {
  /** What to show while an activity runs (undefined: nothing to show yet). */
  live?: () => string | undefined;
  /** How often: by default 250 ms on a terminal (redrawn in place), 5 s in a pipe (a line, when it changed). */
  everyMs?: number;
}

/**
 * The progress lines: one per activity, ✔/✘ for the hypothesis and safeguard probes, and while
 * an activity runs its live state. On a terminal an activity's line is drawn when it starts,
 * its state redrawn on it, and the line completed in place; in a pipe, no \r: the state is a
 * line of its own every few seconds.
 */
export function progressLines(
  print: (line: string) => void,
  tty = false,
  write: (text: string) => void = (text) => process.stdout.write(text),
  { live, everyMs = tty ? 250 : 5_000 }: LiveOptions = {},
) {
  let open: { name: string; label: string } | undefined;
  // The foreground activity under way, whose state the live line shows.
  let running: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let shown: string | undefined;
  const tick = () => {
    const state = live?.();
    if (state === undefined || running === undefined) return;
    if (tty) {
      if (open) write(`\r\x1b[K${open.label} ${state}`);
    } else if (state !== shown) print(`  … ${running}: ${state}`);
    shown = state;
  };
  const closeOpen = (name: string) => {
    if (open?.name === name) write(`\r\x1b[K`);
    // Another activity's line is open: end it first.
    else if (open !== undefined) write('\n');
    open = undefined;
  };
  return (event: RunEvent) => {
    const safeguard = event.phase === 'safeguard';
    const checked = event.phase === 'before' || event.phase === 'after' || safeguard;
    const label = checked
      ? `  … ${event.phase === 'before' ? 'before the method' : 'after the method'}: ${event.name}`
      : `${event.phase === 'rollback' ? '↩ rollback' : '▶'} ${event.name} …`;
    if (event.kind === 'start') {
      // Safeguard checks and background activities run beside another activity: no line of their own.
      if (safeguard || event.activity.background === true) return;
      running = event.name;
      if (live && timer === undefined) timer = setInterval(tick, everyMs).unref();
      if (tty && open === undefined) {
        open = { name: event.name, label };
        write(label);
      }
      return;
    }
    if (event.name === running) {
      running = undefined;
      clearInterval(timer);
      timer = undefined;
    }
    const { run } = event;
    let line: string;
    if (checked) {
      const phase = { before: 'before the method', after: 'after the method', safeguard: 'safeguard' }[event.phase as 'before'];
      const why = run.status === 'failed' ? ` (could not run: ${run.exception})` : run.tolerance_met ? '' : ' (outside its tolerance)';
      line = `  ${run.tolerance_met ? '✔' : '✘'} ${phase}: ${event.name}${why}`;
    } else {
      line = `${label} ${run.status === 'succeeded' ? 'succeeded' : `failed: ${run.exception}`} (${run.duration.toFixed(1)} s)`;
    }
    closeOpen(event.name);
    print(line);
  };
}

/** The outcome as one line. */
/** A library entry's outcome in one line, as the runner prints it. */
export function entryLine(entry: Pick<LibraryEntry, 'outcome' | 'expected' | 'reason'>): string {
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
