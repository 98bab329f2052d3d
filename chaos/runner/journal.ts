/**
 * The journal of a run, with Chaos Toolkit's fields (chaostoolkit-documentation,
 * reference/api/journal.md). `chaoslib-version` is left out: this runner is not chaoslib, and
 * names itself under JOURNAL_EXTRAS instead, where the project's own additions go.
 */
import os from 'node:os';
import type { WriteRecord } from '../probes/records';
import type { TargetTimings } from './timings';

export type RunStatus = 'completed' | 'failed' | 'aborted' | 'interrupted';

/** What one activity did: the journal's activity result. */
export interface ActivityRun {
  /** The activity as declared (before substitution). */
  activity: unknown;
  status: 'succeeded' | 'failed';
  start: string;
  end: string;
  /** Seconds. */
  duration: number;
  output: unknown;
  /** Why it failed, when it did. */
  exception?: string;
  /** Hypothesis and safeguard probes only. */
  tolerance_met?: boolean;
}

export interface SteadyState {
  steady_state_met: boolean;
  probes: ActivityRun[];
}

/** The project's own key, for what Chaos Toolkit's journal has no field for. */
export const JOURNAL_EXTRAS = 'x-serverless-chaos';

export interface JournalExtras {
  runner: string;
  /** Why the run did not hold: the probe that missed, the activity that failed, the safeguard that stopped it, or the interruption. */
  reason?: string;
  /** The safeguard probe that stopped the method, by name. */
  safeguard?: string;
  /** Every check of the safeguard probes, in the order they ended. */
  safeguards: ActivityRun[];
  /** The experiment file, as given on the command line (set by the CLI, as are the fields below). */
  file?: string;
  target?: { endpoint: string; kind: 'offline' | 'localstack' };
  /** The run's seed: `--seed` replays the seeded fault rules' decisions. */
  seed?: number;
  /** The outcome the experiment declares it expects (its `serverless-chaos` extension; "held" by default). */
  expected?: { outcome: 'held' | 'deviated'; why?: string };
  /** When the run was told to stop (Ctrl-C), if it was. */
  interruptedAt?: string;
  /** One reading every 500 ms through the whole run; null where a reading failed. */
  series?: Sample[];
  /** The writes the probe CLI recorded (writes.jsonl), as it wrote them. */
  writes?: WriteRecord[];
  /** What the http activities sent to the Chaos API and how it answered: the report's fault and latency windows. */
  chaosCalls?: ChaosCall[];
  /** Requests the runner sent itself: the DELETE ending a rule's `durationMs` on LocalStack. */
  followUps?: FollowUpRun[];
  /** Where each product a write of the run was accepted for stood once the run was over and the target settled. */
  products?: ProductsAtEnd;
  /** The target's retry-path timings, which the runner sized the run's waits from. */
  timings?: TargetTimings;
  /** What the runner sized from them, and why (a settle window raised, say). */
  sized?: string[];
  /** The target had not settled before the hypothesis: what the runner found and waited for. */
  unsettledBefore?: Settling;
  /** What the run left on the target once its rollbacks had run, and whether it settled within the target's own bound. */
  leftover?: Settling;
}

/** How a wait for the target to settle ended (chaos/runner/settle.ts). */
export interface Settling {
  /** What was not settled when the wait began. */
  found: string[];
  settled: boolean;
  /** Seconds waited, and the most the target's timings allowed. */
  waited: number;
  bound: number;
  /** What was still there when it stopped waiting (nothing when settled). */
  remaining: string[];
}

/** One reading of the target (t: ms since the journal's start; null: the reading failed), counting this run's products only. */
export interface Sample {
  t: number;
  queue: number | null;
  /** Every dead-letter queue of the stack, summed. */
  dlq: number | null;
  /** Products with a write the API accepted (200 or 202) by then, from the run's writes.jsonl. */
  accepted: number;
  /** Of those, the ones the table holds at their newest accepted value (or a newer one). */
  holding: number | null;
}

/** A request an http activity sent to the Chaos API (fault rules, effects, Lambda faults) and its answer. */
export interface ChaosCall {
  /** `<phase>:<name>` of the activity. */
  activity: string;
  method: string;
  url: string;
  /** The body as sent (after substitution and the offline extensions). */
  body: unknown;
  /** When the answer came, in ms since the journal's start. */
  t: number;
  status: number;
}

/**
 * Where the accepted products stood at the end: holding their newest value; `pending` (not yet
 * applied) while the queue still holds a message that can bring them (messages are counted, not
 * read); `deadLettered` while the DLQs do; `lost` beyond both. Null where a reading failed.
 */
export interface ProductsAtEnd {
  /** Ms since the journal's start. */
  at: number;
  accepted: number;
  holding: number | null;
  pending: number | null;
  deadLettered: number | null;
  lost: number | null;
  queue: number | null;
  dlq: number | null;
  /** The accepted products not holding their newest value, by id. */
  behind: string[] | null;
}

export interface FollowUpRun {
  method: string;
  url: string;
  body: unknown;
  /** Ms since the journal's start. */
  t: number;
  /** The HTTP status, or 0 when no answer came. */
  status: number;
  error?: string;
  /** Sent at the end of the run, before its duration was over, so the rule would not outlive the run. */
  early?: boolean;
}

export interface Journal {
  platform: string;
  node: string;
  /** The experiment as it was given (before substitution). */
  experiment: unknown;
  start: string;
  end: string;
  /** Seconds. */
  duration: number;
  status: RunStatus;
  deviated: boolean;
  steady_states: { before: SteadyState | null; after: SteadyState | null; during: SteadyState[] };
  run: ActivityRun[];
  rollbacks: ActivityRun[];
  [JOURNAL_EXTRAS]: JournalExtras;
}

const RUNNER = 'serverless-chaos-sample ctk runner';

export function newJournal(experiment: unknown, start: Date): Journal {
  return {
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: os.hostname(),
    experiment,
    start: start.toISOString(),
    end: start.toISOString(),
    duration: 0,
    status: 'completed',
    deviated: false,
    steady_states: { before: null, after: null, during: [] },
    run: [],
    rollbacks: [],
    [JOURNAL_EXTRAS]: { runner: RUNNER, safeguards: [] },
  };
}

/** The exit code for a journal: 0 held, 1 the hypothesis did not hold (before or after), 2 aborted, 130 interrupted. */
export function exitCode(journal: Pick<Journal, 'status' | 'deviated'>): number {
  if (journal.status === 'interrupted') return 130;
  if (journal.status === 'aborted') return 2;
  return journal.status === 'failed' || journal.deviated ? 1 : 0;
}
