/**
 * The ordering rule: which of two writes of one id is newer. A later updatedAt wins; in one
 * millisecond the greater requestId does, so two distinct writes always have one winner and a
 * write delivered twice is never newer than itself. Both write paths apply it through the
 * DynamoDB condition in adapters/dynamodb-store.ts, which is built from the names below.
 */
import type { ProductWrite } from '#domain/product';

/** What orders two writes of one id: the time of acceptance, then the request id. */
export type WriteVersion = Pick<ProductWrite, 'updatedAt' | 'requestId'>;

/** The ordering data of a stored item: either may be missing on an item this code did not write. */
export type StoredVersion = Partial<WriteVersion>;

/** The fields the rule compares, most significant first; an item stores them under these names. */
export const orderedBy = { time: 'updatedAt', tieBreak: 'requestId' } as const satisfies Record<string, keyof WriteVersion>;

/** Compares strings as DynamoDB does: by the bytes of their UTF-8 encoding. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Whether a stored item is at least as new as `write`, so the write must not replace it. A stored
 * item without a requestId counts as the oldest of its millisecond, and one without a numeric
 * updatedAt is older than any write. The same write (a redelivery) is "at least as new": it is
 * already applied.
 */
export function isAtLeastAsNew(stored: StoredVersion | undefined, write: WriteVersion): boolean {
  if (stored === undefined || typeof stored.updatedAt !== 'number' || !Number.isFinite(stored.updatedAt)) return false;
  if (stored.updatedAt !== write.updatedAt) return stored.updatedAt > write.updatedAt;
  return compareUtf8(stored.requestId ?? '', write.requestId) >= 0;
}
