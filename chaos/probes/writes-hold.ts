/**
 * `probe writes-hold`: every product whose newest accepted write (200 or 202) is in the state
 * file holds that write in the table, or a newer one; no product whose every write was refused
 * is in the table. Polls until that holds or the time is up.
 */
import type { StoredValue } from '../../shared/app-client/app-client';
import { pollUntil } from './poll';
import { isAccepted, type WriteRecord } from './records';

/**
 * The table's `updatedAt` is the product Lambda's clock at acceptance, between the record's
 * sentAt and answeredAt on one host's clock; this much leeway covers clocks of separate hosts.
 * It also tells a value this run wrote from one an earlier run left under the same name.
 */
export const CLOCK_LEEWAY_MS = 1_000;

export interface HoldSummary {
  /** Products with at least one accepted write. */
  accepted: number;
  /** Of those, the ones whose newest accepted write (or a newer one) is in the table. */
  holding: number;
  /** accepted - holding: not in the table yet, or holding an older value. */
  pending: number;
  /** Products whose every write was refused (no 2xx) yet that are in the table with a value from this run. */
  refusedInTable: number;
}

interface Expected {
  /** The newest accepted write, or undefined when every write was refused. */
  newest?: WriteRecord;
  /** The first write sent: a table value older than it is not from this run. */
  firstSentAt: number;
}

/** Per product id: what the table should hold. */
export function expectations(records: WriteRecord[]): Map<string, Expected> {
  const byId = new Map<string, Expected>();
  for (const record of records) {
    const entry = byId.get(record.id) ?? { firstSentAt: record.sentAt };
    entry.firstSentAt = Math.min(entry.firstSentAt, record.sentAt);
    // The newest by the time it was sent: the versions of one `write` run go out in order, and a later run sends later.
    if (
      isAccepted(record) &&
      (!entry.newest || record.sentAt > entry.newest.sentAt || (record.sentAt === entry.newest.sentAt && record.version > entry.newest.version))
    ) {
      entry.newest = record;
    }
    byId.set(record.id, entry);
  }
  return byId;
}

/** Whether the stored value is this write, or a write accepted after it. */
export function holds(stored: StoredValue | undefined, newest: WriteRecord): boolean {
  if (!stored) return false;
  if (stored.name === newest.name && stored.updatedAt >= newest.sentAt - CLOCK_LEEWAY_MS) return true;
  return stored.updatedAt > newest.answeredAt + CLOCK_LEEWAY_MS;
}

/** The summary of one reading of the table. */
export function summarize(expected: Map<string, Expected>, table: Map<string, StoredValue>): HoldSummary {
  let accepted = 0;
  let holding = 0;
  let refusedInTable = 0;
  for (const [id, { newest, firstSentAt }] of expected) {
    const stored = table.get(id);
    if (newest) {
      accepted += 1;
      if (holds(stored, newest)) holding += 1;
    } else if (stored && stored.updatedAt >= firstSentAt - CLOCK_LEEWAY_MS) refusedInTable += 1;
  }
  return { accepted, holding, pending: accepted - holding, refusedInTable };
}

/** Polls `readTable` (every product by id) for up to `withinMs`; `held` is the check. */
export async function writesHold(
  records: WriteRecord[],
  readTable: (signal: AbortSignal) => Promise<Map<string, StoredValue>>,
  withinMs: number,
): Promise<{ summary?: HoldSummary; held: boolean; error?: unknown }> {
  const expected = expectations(records);
  const polled = await pollUntil(
    async (signal) => summarize(expected, await readTable(signal)),
    (summary) => summary.pending === 0 && summary.refusedInTable === 0,
    // A refused write in the table stays there: once nothing else is pending, waiting cannot help.
    { withinMs, stop: (summary) => summary.pending === 0 && summary.refusedInTable > 0 },
  );
  return { summary: polled.value, held: polled.held, error: polled.value ? undefined : polled.error };
}
