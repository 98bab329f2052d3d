/**
 * Where each product the run's writes were accepted for ended, read once the run is over (its
 * rollbacks run, the target settled or the wait for it given up): holding its newest value, not
 * yet applied, dead-lettered or lost. Messages are counted, not read, so a product that does not
 * hold its value is counted not yet applied while the queue holds at least as many messages,
 * dead-lettered for those the DLQs can account for, and lost beyond both.
 */
import type { StoredValue } from '../../shared/app-client/app-client';
import type { WriteRecord } from '../probes/records';
import { expectations, holds } from '../probes/writes-hold';
import type { ProductsAtEnd } from './journal';

export interface EndReadings {
  queue: (signal: AbortSignal) => Promise<number>;
  dlq: (signal: AbortSignal) => Promise<number>;
  table: (signal: AbortSignal) => Promise<Map<string, StoredValue>>;
}

const ATTEMPTS = 3;
const READING_TIMEOUT_MS = 3_000;

async function read<T>(reading: (signal: AbortSignal) => Promise<T>): Promise<T | null> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    try {
      return await reading(AbortSignal.timeout(READING_TIMEOUT_MS));
    } catch {
      // A fault may still be on, or the target busy: read again.
    }
  }
  return null;
}

/** Reads the queues and the table (each tried a few times) and sorts the accepted products; `origin` is the journal's start (epoch ms). */
export async function productsAtEnd(readings: EndReadings, records: WriteRecord[], origin: number): Promise<ProductsAtEnd> {
  const expected = [...expectations(records)].flatMap(([id, { newest }]) => (newest ? [[id, newest] as const] : []));
  const [queue, dlq, table] = await Promise.all([read(readings.queue), read(readings.dlq), read(readings.table)]);
  const at = Date.now() - origin;
  const behind = table === null ? null : expected.filter(([id, newest]) => !holds(table.get(id), newest)).map(([id]) => id);
  const missing = behind?.length ?? null;
  const pending = missing === null || queue === null ? null : Math.min(missing, queue);
  const deadLettered = missing === null || pending === null || dlq === null ? null : Math.min(missing - pending, dlq);
  return {
    at,
    accepted: expected.length,
    holding: missing === null ? null : expected.length - missing,
    pending,
    deadLettered,
    lost: missing === null || pending === null || deadLettered === null ? null : missing - pending - deadLettered,
    queue,
    dlq,
    behind,
  };
}
