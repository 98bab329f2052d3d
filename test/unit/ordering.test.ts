/** The ordering rule as a pure function: when a stored item is at least as new as a write. */
import { compareUtf8, isAtLeastAsNew, isSameWrite, orderingHorizon } from '#domain/ordering';

const write = { updatedAt: 1_000, requestId: 'm' };
const horizon = 5_000;

describe('isAtLeastAsNew', () => {
  it.each<[string, Parameters<typeof isAtLeastAsNew>[0], boolean]>([
    ['no stored item', undefined, false],
    ['a stored item without ordering data', {}, false],
    ['a stored item with a non-numeric updatedAt', { updatedAt: Number.NaN, requestId: 'z' }, false],
    ['an older updatedAt', { updatedAt: 999, requestId: 'z' }, false],
    ['a newer updatedAt', { updatedAt: 1_001, requestId: 'a' }, true],
    ['a newer updatedAt at the horizon', { updatedAt: horizon, requestId: 'a' }, true],
    ['an updatedAt beyond the horizon (not a stamp any write of ours carries)', { updatedAt: horizon + 1, requestId: 'z' }, false],
    ['an updatedAt in microseconds', { updatedAt: 1_000 * 1_000, requestId: 'z' }, false],
    ['the same millisecond, a smaller requestId', { updatedAt: 1_000, requestId: 'l' }, false],
    ['the same millisecond, a greater requestId', { updatedAt: 1_000, requestId: 'n' }, true],
    ['the same write (a redelivery: already applied)', { updatedAt: 1_000, requestId: 'm' }, true],
    ['the same millisecond without a requestId (the oldest of its millisecond)', { updatedAt: 1_000 }, false],
  ])('%s', (_label, stored, expected) => {
    expect(isAtLeastAsNew(stored, write, horizon)).toBe(expected);
  });

  it('orders request ids by their UTF-8 bytes, as DynamoDB compares strings', () => {
    // UTF-16 code units put U+1F600 (a surrogate pair, 0xD83D…) before U+E000; UTF-8 bytes do not.
    expect('\u{1F600}' < '\uE000').toBe(true);
    expect(compareUtf8('\u{1F600}', '\uE000')).toBeGreaterThan(0);
    expect(isAtLeastAsNew({ updatedAt: 1, requestId: '\u{1F600}' }, { updatedAt: 1, requestId: '\uE000' }, horizon)).toBe(true);
  });
});

it('puts the horizon the clock skew bound after now', () => {
  expect(orderingHorizon(1_700_000_000_000, 300)).toBe(1_700_000_300_000);
});

it.each<[string, Parameters<typeof isSameWrite>[0], boolean]>([
  ['this very write', { updatedAt: 1_000, requestId: 'm' }, true],
  ['another write in the same millisecond', { updatedAt: 1_000, requestId: 'n' }, false],
  ['a newer write with the same request id (not one of ours)', { updatedAt: 1_001, requestId: 'm' }, false],
  ['an item without a requestId', { updatedAt: 1_000 }, false],
  ['no item', undefined, false],
])('isSameWrite: %s → %s', (_label, stored, expected) => {
  expect(isSameWrite(stored, write)).toBe(expected);
});
