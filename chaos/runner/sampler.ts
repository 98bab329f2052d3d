/**
 * Readings of the target through a run, for the report's chart: every 500 ms the depth of the
 * queue and of the DLQ (visible + in flight + delayed) and the table's item count, each through
 * the target's normal endpoint and bounded by a short timeout. A reading that fails is null (a
 * gap in the chart), never a 0.
 */
import { ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { names } from '#spec';
import type { AppClient } from '../../shared/app-client/app-client';
import type { Sample } from './journal';

export const SAMPLE_EVERY_MS = 500;
export const READING_TIMEOUT_MS = 2_000;

/** The table's item count: a Scan with Select COUNT, page by page. */
export async function itemCount(target: AppClient, abortSignal: AbortSignal): Promise<number> {
  let count = 0;
  let page: ScanCommandOutput | undefined;
  do {
    page = await target.dynamo.send(
      new ScanCommand({ TableName: names.table, Select: 'COUNT', ...(page?.LastEvaluatedKey ? { ExclusiveStartKey: page.LastEvaluatedKey } : {}) }),
      { abortSignal },
    );
    count += page.Count ?? 0;
  } while (page.LastEvaluatedKey);
  return count;
}

async function reading(read: (signal: AbortSignal) => Promise<number>, timeoutMs: number): Promise<number | null> {
  try {
    return await read(AbortSignal.timeout(timeoutMs));
  } catch {
    return null;
  }
}

export interface Readings {
  queue: (signal: AbortSignal) => Promise<number>;
  dlq: (signal: AbortSignal) => Promise<number>;
  items: (signal: AbortSignal) => Promise<number>;
}

export function targetReadings(target: AppClient): Readings {
  return {
    queue: (signal) => target.queueDepth(names.queue, signal),
    dlq: (signal) => target.queueDepth(names.deadLetterQueue, signal),
    items: (signal) => itemCount(target, signal),
  };
}

export interface Sampler {
  /** Stops sampling, waits for the readings under way; the samples with t in ms since `origin`, in order. */
  stop(origin: number): Promise<Sample[]>;
}

/** Starts sampling now (a first reading at once, then every `everyMs`). */
export function startSampler(readings: Readings, everyMs = SAMPLE_EVERY_MS, timeoutMs = READING_TIMEOUT_MS): Sampler {
  const taken: Array<Promise<{ at: number; queue: number | null; dlq: number | null; items: number | null }>> = [];
  const sample = () => {
    const at = Date.now();
    taken.push(
      Promise.all([reading(readings.queue, timeoutMs), reading(readings.dlq, timeoutMs), reading(readings.items, timeoutMs)]).then(([queue, dlq, items]) => ({
        at,
        queue,
        dlq,
        items,
      })),
    );
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    async stop(origin) {
      clearInterval(timer);
      const samples = await Promise.all(taken);
      return samples.sort((a, b) => a.at - b.at).map(({ at, queue, dlq, items }) => ({ t: at - origin, queue, dlq, items }));
    },
  };
}
