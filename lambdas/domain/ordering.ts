/**
 * The ordering rule: which of two writes of one id is newer. A later updatedAt wins; in one
 * millisecond the greater requestId does, so two distinct writes always have one winner and a
 * write delivered twice is never newer than itself. Both write paths apply it through the
 * DynamoDB condition in adapters/dynamodb-store.ts, which is built from the names below.
 *
 * A stored updatedAt counts only up to the horizon: now plus the clock skew allowed between
 * Lambda environments. No write of ours carries a later stamp (the product Lambda stamps its own
 * clock; the retry Lambda refuses a queued write beyond the horizon), so a stamp past it (one in
 * microseconds, another writer's clock, an import) would otherwise hold the id for good: every
 * later write would be "older". It is not newer than any write, and the next write replaces it.
 */
import type { ProductWrite } from '#domain/product';

/** What orders two writes of one id: the time of acceptance, then the request id. */
export type WriteVersion = Pick<ProductWrite, 'updatedAt' | 'requestId'>;

/** The ordering data of a stored item: either may be missing on an item this code did not write. */
export type StoredVersion = Partial<WriteVersion>;

/** The fields the rule compares, most significant first; an item stores them under these names. */
export const orderedBy = { time: 'updatedAt', tieBreak: 'requestId' } as const satisfies Record<string, keyof WriteVersion>;

/** The latest updatedAt (ms) a write may carry at `now`, and a stored item may hold and still count. */
export function orderingHorizon(now: number, clockSkewSeconds: number): number {
  return now + clockSkewSeconds * 1000;
}

/** Compares strings as DynamoDB does: by the bytes of their UTF-8 encoding. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Whether `stored` is this very write (a redelivery, or an earlier attempt that landed). */
export function isSameWrite(stored: StoredVersion | undefined, write: WriteVersion): boolean {
  return stored?.updatedAt === write.updatedAt && stored.requestId === write.requestId;
}

/**
 * Whether a stored item is at least as new as `write`, so the write must not replace it. A stored
 * item without a requestId counts as the oldest of its millisecond, and one without a numeric
 * updatedAt, or with one beyond `horizon` (orderingHorizon), is older than any write. The same
 * write (a redelivery) is "at least as new": it is already applied.
 */
export function isAtLeastAsNew(stored: StoredVersion | undefined, write: WriteVersion, horizon: number): boolean {
  if (stored === undefined || typeof stored.updatedAt !== 'number' || !Number.isFinite(stored.updatedAt) || stored.updatedAt > horizon) return false;
  if (stored.updatedAt !== write.updatedAt) return stored.updatedAt > write.updatedAt;
  return compareUtf8(stored.requestId ?? '', write.requestId) >= 0;
}
