/**
 * Readings of the target through a run, for the report's chart and the live progress line:
 * every 500 ms the depth of the queue and of the DLQs (visible + in flight + delayed), and this
 * run's products: those a write was accepted for (from the run's writes.jsonl, followed as the
 * probes append to it) and how many of them the table holds at their newest value. Each reading
 * goes through the target's normal endpoint, bounded by a short timeout; one that fails is null
 * (a gap in the chart), never a 0.
 */
import { deadLetterQueues, names } from '#spec';
import type { AppClient, StoredValue } from '../../shared/app-client/app-client';
import { recordTail, type WriteRecord } from '../probes/records';
import { expectations, summarize } from '../probes/writes-hold';
import type { Sample } from './journal';

export const SAMPLE_EVERY_MS = 500;
export const READING_TIMEOUT_MS = 2_000;

async function reading<T>(read: (signal: AbortSignal) => Promise<T>, timeoutMs: number): Promise<T | null> {
  try {
    return await read(AbortSignal.timeout(timeoutMs));
  } catch {
    return null;
  }
}

export interface SamplerReadings {
  queue: (signal: AbortSignal) => Promise<number>;
  /** Every DLQ of the stack, summed. */
  dlq: (signal: AbortSignal) => Promise<number>;
  /** The table's products by id. */
  table: (signal: AbortSignal) => Promise<Map<string, StoredValue>>;
  /** The run's write records appended since the last call. */
  newWrites: () => WriteRecord[];
}

export function targetReadings(target: AppClient, stateFile: string): SamplerReadings {
  return {
    queue: (signal) => target.queueDepth(names.queue, signal),
    dlq: async (signal) => (await Promise.all(deadLetterQueues.map((name) => target.queueDepth(name, signal)))).reduce((sum, depth) => sum + depth, 0),
    table: (signal) => target.products('', signal),
    newWrites: recordTail(stateFile),
  };
}

/** The newest reading, for the live progress line: `writes` is how many writes had been answered then. */
export interface LiveState extends Omit<Sample, 't'> {
  writes: number;
}

export interface Sampler {
  /** The newest reading taken, if any came back yet. */
  latest(): LiveState | undefined;
  /** Stops sampling, waits for the readings under way; the samples with t in ms since `origin`, in order. */
  stop(origin: number): Promise<Sample[]>;
}

/** Starts sampling now (a first reading at once, then every `everyMs`). */
export function startSampler(readings: SamplerReadings, everyMs = SAMPLE_EVERY_MS, timeoutMs = READING_TIMEOUT_MS): Sampler {
  const writes: WriteRecord[] = [];
  const taken: Array<Promise<{ at: number; state: LiveState }>> = [];
  let latest: { at: number; state: LiveState } | undefined;
  const sample = () => {
    const at = Date.now();
    writes.push(...readings.newWrites());
    // The writes known when the reading started: a write accepted later is not expected of this table.
    const expected = expectations(writes);
    const count = writes.length;
    const readingsOf = [reading(readings.queue, timeoutMs), reading(readings.dlq, timeoutMs), reading(readings.table, timeoutMs)] as const;
    taken.push(
      Promise.all(readingsOf).then(([queue, dlq, table]) => {
        const summary = summarize(expected, table ?? new Map());
        const result = { at, state: { writes: count, queue, dlq, accepted: summary.accepted, holding: table === null ? null : summary.holding } };
        if (!latest || latest.at < at) latest = result;
        return result;
      }),
    );
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    latest: () => latest?.state,
    async stop(origin) {
      clearInterval(timer);
      const samples = await Promise.all(taken);
      return samples.sort((a, b) => a.at - b.at).map(({ at, state: { queue, dlq, accepted, holding } }) => ({ t: at - origin, queue, dlq, accepted, holding }));
    },
  };
}
