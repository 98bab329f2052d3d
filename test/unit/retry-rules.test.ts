/** The retry Lambda's rules as pure functions: which writes it trusts, its DLQ copies, and how long it waits. */
import { randomUUID } from 'node:crypto';
import { retryPath } from '#spec';
import { deadLetterCopy } from '#adapters/retry-queue';
import { backoffSeconds, requeueHoldSeconds } from '../../lambdas/retry/backoff';
import { outOfBounds } from '../../lambdas/retry/bounds';
import { sampleWrite } from '../support/events';

describe('finding 3: only what the product Lambda could have written is trusted', () => {
  const now = Date.UTC(2026, 10, 27);
  const bounds = { clockSkewSeconds: 300, maxWriteAgeDays: 365 };
  const at = (updatedAt: number, requestId: string = randomUUID()) => ({ ...sampleWrite(), price: 29.99, updatedAt, requestId });

  it.each([
    ['year 2100', at(4_102_444_800_000), /updatedAt 4102444800000 is .* s in the future/],
    ['six minutes ahead', at(now + 360_000), /in the future \(allowed: 300 s/],
    ['older than a year', at(now - 366 * 86_400_000), /too old/],
    ['the epoch', at(1), /too old/],
    ['a requestId not shaped as the product Lambda writes it', at(now, 'zzzz-wins-every-tie'), /requestId/],
  ])('rejects %s', (_label, write, reason) => {
    expect(outOfBounds(write, now, bounds)).toMatch(reason);
  });

  it.each([
    ['now', at(now)],
    ['within the clock skew', at(now + 299_000)],
    ['a month old', at(now - 30 * 86_400_000)],
    ['an upper-case request id', at(now, randomUUID().toUpperCase())],
  ])('accepts %s', (_label, write) => {
    expect(outOfBounds(write, now, bounds)).toBeUndefined();
  });
});

describe("finding 9: a poison message near the queues' size limit", () => {
  const huge = `{"id":"huge","pad":"${'x'.repeat(retryPath.maxMessageBytes - 40)}`;

  it('leaves a body that fits untouched', () => {
    const reason = { reason: { DataType: 'String', StringValue: 'bad' } };
    expect(deadLetterCopy('{"id":', reason)).toEqual({ body: '{"id":', attributes: reason });
  });

  it('cuts a body that would not fit, with a marker, and keeps the reason and the full size', () => {
    const reason = { reason: { DataType: 'String', StringValue: 'r'.repeat(1024) } };
    const copy = deadLetterCopy(huge, reason);
    const size =
      Buffer.byteLength(copy.body) +
      Object.entries(copy.attributes).reduce(
        (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value.DataType!) + Buffer.byteLength(value.StringValue!),
        0,
      );
    expect(size).toBeLessThanOrEqual(retryPath.maxMessageBytes);
    expect(copy.body).toMatch(/…\[cut by the retry Lambda to fit the DLQ: \d+ bytes in all\]$/);
    expect(huge.startsWith(copy.body.slice(0, copy.body.indexOf('…')))).toBe(true);
    expect(copy.attributes).toMatchObject({
      reason: reason.reason,
      bodyTruncated: { StringValue: 'true' },
      originalBodyBytes: { DataType: 'Number', StringValue: String(Buffer.byteLength(huge)) },
    });
  });

  it('never cuts a multi-byte character in half', () => {
    const copy = deadLetterCopy('é'.repeat(1000), {}, 1200);
    expect(Buffer.byteLength(copy.body)).toBeLessThanOrEqual(1200);
    expect(copy.body).not.toContain('\uFFFD');
  });
});

describe('requeueHoldSeconds', () => {
  it.each([
    [1, 60],
    [2, 120],
    [4, 480],
    [5, 900],
    [100, 900],
  ])('failed attempt %i holds %i s', (attempt, seconds) => {
    expect(requeueHoldSeconds(attempt, { requeueHoldBaseSeconds: 60, requeueHoldCapSeconds: 900 })).toBe(seconds);
  });
});

describe('backoffSeconds', () => {
  const settings = { backoffBaseSeconds: 2, backoffCapSeconds: 60 };
  it.each([
    [1, 2],
    [2, 4],
    [3, 8],
    [5, 32],
    [6, 60],
    [1000, 60],
    [0, 2],
  ])('receive count %i waits %i s', (count, seconds) => {
    expect(backoffSeconds(count, settings)).toBe(seconds);
  });
});
