/**
 * What the reports read from a CTK journal: the outcome and its wording, one line per
 * hypothesis probe (before and after), the method's activities, the safeguards and the
 * rollbacks. Shared by the Markdown, HTML and JUnit writers, so they say the same thing.
 */
import type { WriteRecord } from '../probes/records';
import { type ActivityRun, type ChaosCall, type FollowUpRun, JOURNAL_EXTRAS, type Journal, type ProductsAtEnd, type Settling } from '../runner/journal';
import type { SeriesSample } from './series';

export type { SeriesSample, WriteRecord };

export type Outcome = 'held' | 'deviated' | 'failed' | 'aborted' | 'interrupted';
export type Expected = 'held' | 'deviated';

/** The journal extras the reports read; every field is optional, so a journal from an older runner still reports. */
export interface ReportExtras {
  runner?: string;
  reason?: string;
  safeguard?: string;
  safeguards?: ActivityRun[];
  file?: string;
  target?: { endpoint: string; kind: string };
  seed?: number;
  expected?: { outcome: Expected; why?: string };
  interruptedAt?: string;
  series?: SeriesSample[];
  writes?: WriteRecord[];
  chaosCalls?: ChaosCall[];
  followUps?: FollowUpRun[];
  products?: ProductsAtEnd;
  sized?: string[];
  unsettledBefore?: Settling;
  leftover?: Settling;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function extrasOf(journal: Journal): ReportExtras {
  const extras: unknown = (journal as unknown as Record<string, unknown>)[JOURNAL_EXTRAS];
  return isRecord(extras) ? (extras as ReportExtras) : {};
}

/** The experiment's declared fields the reports use. */
interface DeclaredActivity {
  name: string;
  type: string;
  tolerance?: unknown;
  background?: boolean;
}
const declared = (value: unknown): DeclaredActivity => {
  const record = isRecord(value) ? value : {};
  return {
    name: typeof record.name === 'string' ? record.name : '(unnamed)',
    type: typeof record.type === 'string' ? record.type : 'activity',
    tolerance: record.tolerance,
    background: record.background === true,
  };
};
const experimentOf = (journal: Journal): Record<string, unknown> => (isRecord(journal.experiment) ? journal.experiment : {});

export function titleOf(journal: Journal): string {
  const title = experimentOf(journal).title;
  return typeof title === 'string' && title !== '' ? title : 'Chaos Toolkit experiment';
}

export function hypothesisTitle(journal: Journal): string | undefined {
  const hypothesis = experimentOf(journal)['steady-state-hypothesis'];
  return isRecord(hypothesis) && typeof hypothesis.title === 'string' ? hypothesis.title : undefined;
}

const hypothesisProbes = (journal: Journal): DeclaredActivity[] => {
  const hypothesis = experimentOf(journal)['steady-state-hypothesis'];
  return isRecord(hypothesis) && Array.isArray(hypothesis.probes) ? hypothesis.probes.map(declared) : [];
};

/** What the run ended as. */
export function outcomeOf(journal: Pick<Journal, 'status' | 'deviated'>): Outcome {
  if (journal.status === 'interrupted') return 'interrupted';
  if (journal.status === 'aborted') return 'aborted';
  if (journal.status === 'failed') return 'failed';
  return journal.deviated ? 'deviated' : 'held';
}

export const expectedOf = (journal: Journal): Expected => extrasOf(journal).expected?.outcome ?? 'held';

/** A leftover in one line: what the run left on the target, and whether it settled within the target's own bound. */
export function leftoverText({ found, settled, waited, bound, remaining }: Settling): string {
  if (settled) return `it left ${found.join('; ')}, settled ${waited} s after its end`;
  const still = remaining.join('; ') === found.join('; ') ? '' : `: still ${remaining.join('; ')}`;
  // The runner stops waiting early when only what nothing clears by itself is left (a rule without a duration, an effect, a dead letter).
  const why = waited >= bound ? `within ${bound} s, the target's settle bound` : '(nothing clears it by itself)';
  return `it left ${found.join('; ')}, not settled ${why}${still}`;
}

/** Whether the target settled after the run (nothing left, or what was left cleared within the target's bound). */
export const settledAfter = (journal: Journal): boolean => extrasOf(journal).leftover?.settled ?? true;

/** Whether the run ended as the experiment expected: held or deviated, as declared, and the target settled after it. */
export const asExpected = (journal: Journal): boolean => outcomeOf(journal) === expectedOf(journal) && settledAfter(journal);

/** The verdict, in one line: what happened, whether it was expected, and why. */
export function outcomeLine(journal: Journal): string {
  const leftover = extrasOf(journal).leftover;
  const line = verdictLine(journal);
  return leftover && !leftover.settled ? `${line} But ${leftoverText(leftover)}.` : line;
}

function verdictLine(journal: Journal): string {
  const outcome = outcomeOf(journal);
  const expected = expectedOf(journal);
  const reason = extrasOf(journal).reason;
  const because = reason ? `: ${reason}` : '';
  switch (outcome) {
    case 'held':
      return expected === 'held' ? 'Held: the steady state held before and after the method.' : 'Held, but a deviation was expected: the fault did not show.';
    case 'deviated':
      return expected === 'deviated' ? `Deviated, as expected${because}.` : `Deviated (not expected)${because}.`;
    case 'failed':
      return `Failed: the steady state did not hold${reason ? `: ${reason}` : ' before the method: nothing was injected'}.`;
    case 'aborted':
      return `Aborted${because || ' by a tool or target error'}.`;
    case 'interrupted':
      return `Interrupted${because}; the rollbacks ran.`;
  }
}

export type ProbeVerdict = 'within tolerance' | 'outside tolerance' | 'could not run' | 'not run';

export interface ProbeLine {
  phase: 'before' | 'after';
  name: string;
  tolerance: string;
  verdict: ProbeVerdict;
  /** What it observed, or why it could not run, or why it was not run. */
  detail: string;
  run?: ActivityRun;
}

const clip = (text: string, max = 160) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

export const toleranceText = (tolerance: unknown): string => (tolerance === undefined ? '' : clip(oneLine(JSON.stringify(tolerance)), 120));

/** What an activity's output says, briefly: an HTTP status and body, or a process's exit code and first line of stdout. */
export function observed(run: ActivityRun): string {
  const output = run.output;
  if (isRecord(output) && typeof output.status === 'number') {
    if ('stdout' in output) {
      const stdout = typeof output.stdout === 'string' ? oneLine(output.stdout) : '';
      return clip(`exit ${output.status}${stdout ? ` ${stdout}` : ''}`);
    }
    const body = output.body;
    const text = body === undefined || body === null || body === '' ? '' : oneLine(typeof body === 'string' ? body : JSON.stringify(body));
    return clip(`HTTP ${output.status}${text ? ` ${text}` : ''}`);
  }
  return output === null || output === undefined ? '' : clip(oneLine(JSON.stringify(output) ?? String(output)));
}

function probeVerdict(run: ActivityRun): ProbeVerdict {
  if (run.status === 'failed') return 'could not run';
  return run.tolerance_met ? 'within tolerance' : 'outside tolerance';
}

/** One line per declared hypothesis probe, before and after, including those that never ran and why. */
export function probeLines(journal: Journal): ProbeLine[] {
  const probes = hypothesisProbes(journal);
  return (['before', 'after'] as const).flatMap((phase) => {
    const state = journal.steady_states[phase];
    return probes.map((probe, i): ProbeLine => {
      const run = state?.probes[i];
      const base = { phase, name: probe.name, tolerance: toleranceText(probe.tolerance) };
      if (run) {
        const verdict = probeVerdict(run);
        return { ...base, verdict, detail: verdict === 'could not run' ? (run.exception ?? '') : observed(run), run };
      }
      let why: string;
      if (state) why = 'an earlier probe missed';
      else if (phase === 'before') why = 'the run stopped first';
      else why = journal.status === 'completed' ? 'not checked' : `the run ended first (${journal.status})`;
      return { ...base, verdict: 'not run', detail: why };
    });
  });
}

export interface ActivityLine {
  name: string;
  type: string;
  background: boolean;
  status: 'succeeded' | 'failed' | 'not run';
  /** Seconds since the journal's start. */
  start?: number;
  duration?: number;
  detail: string;
  run?: ActivityRun;
}

const startMs = (journal: Journal) => Date.parse(journal.start);
/** Seconds from the journal's start to an ISO time. */
export const offset = (journal: Journal, iso: string) => (Date.parse(iso) - startMs(journal)) / 1000;

const activityLine = (journal: Journal, run: ActivityRun): ActivityLine => {
  const activity = declared(run.activity);
  return {
    name: activity.name,
    type: activity.type,
    background: activity.background ?? false,
    status: run.status,
    start: offset(journal, run.start),
    duration: run.duration,
    detail: run.status === 'failed' ? (run.exception ?? '') : observed(run),
    run,
  };
};

/** The method's activities as they ran (in the order they ended), then those declared but never started. */
export function methodLines(journal: Journal): ActivityLine[] {
  const ran = journal.run.map((run) => activityLine(journal, run));
  const method = experimentOf(journal).method;
  const declaredNames = Array.isArray(method) ? method.map(declared) : [];
  const counted = new Map<string, number>();
  for (const line of ran) counted.set(line.name, (counted.get(line.name) ?? 0) + 1);
  const notRun: ActivityLine[] = [];
  for (const activity of declaredNames) {
    const left = counted.get(activity.name) ?? 0;
    if (left > 0) counted.set(activity.name, left - 1);
    else
      notRun.push({
        name: activity.name,
        type: activity.type,
        background: activity.background ?? false,
        status: 'not run',
        detail: 'the method stopped first',
      });
  }
  return [...ran, ...notRun];
}

export const rollbackLines = (journal: Journal): ActivityLine[] => journal.rollbacks.map((run) => activityLine(journal, run));

export interface SafeguardLine {
  name: string;
  checks: number;
  missed: number;
  /** The safeguard that stopped the method. */
  tripped: boolean;
  detail: string;
  runs: ActivityRun[];
}

/** Each safeguard probe with its checks, in the order first checked. */
export function safeguardLines(journal: Journal): SafeguardLine[] {
  const extras = extrasOf(journal);
  const byName = new Map<string, ActivityRun[]>();
  for (const run of extras.safeguards ?? []) {
    const name = declared(run.activity).name;
    byName.set(name, [...(byName.get(name) ?? []), run]);
  }
  return [...byName.entries()].map(([name, runs]) => {
    const misses = runs.filter((run) => !run.tolerance_met);
    const first = misses[0];
    return {
      name,
      checks: runs.length,
      missed: misses.length,
      tripped: extras.safeguard === name,
      detail: first ? `${probeVerdict(first)}: ${first.status === 'failed' ? (first.exception ?? '') : observed(first)}` : `within tolerance at every check`,
      runs,
    };
  });
}

export const seconds = (s: number | undefined) => (s === undefined ? '' : `${s.toFixed(s < 10 ? 2 : 1)} s`);
