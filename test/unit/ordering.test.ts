/** The ordering rule as a pure function: when a stored item is at least as new as a write. */
import { compareUtf8, isAtLeastAsNew } from '#domain/ordering';

const write = { updatedAt: 1_000, requestId: 'm' };

describe('isAtLeastAsNew', () => {
  it.each<[string, Parameters<typeof isAtLeastAsNew>[0], boolean]>([
    ['no stored item', undefined, false],
    ['a stored item without ordering data', {}, false],
    ['a stored item with a non-numeric updatedAt', { updatedAt: Number.NaN, requestId: 'z' }, false],
    ['an older updatedAt', { updatedAt: 999, requestId: 'z' }, false],
    ['a newer updatedAt', { updatedAt: 1_001, requestId: 'a' }, true],
    ['the same millisecond, a smaller requestId', { updatedAt: 1_000, requestId: 'l' }, false],
    ['the same millisecond, a greater requestId', { updatedAt: 1_000, requestId: 'n' }, true],
    ['the same write (a redelivery: already applied)', { updatedAt: 1_000, requestId: 'm' }, true],
    ['the same millisecond without a requestId (the oldest of its millisecond)', { updatedAt: 1_000 }, false],
  ])('%s', (_label, stored, expected) => {
    expect(isAtLeastAsNew(stored, write)).toBe(expected);
  });

  it('orders request ids by their UTF-8 bytes, as DynamoDB compares strings', () => {
    // UTF-16 code units put U+1F600 (a surrogate pair, 0xD83D…) before U+E000; UTF-8 bytes do not.
    expect('\u{1F600}' < '\uE000').toBe(true);
    expect(compareUtf8('\u{1F600}', '\uE000')).toBeGreaterThan(0);
    expect(isAtLeastAsNew({ updatedAt: 1, requestId: '\u{1F600}' }, { updatedAt: 1, requestId: '\uE000' })).toBe(true);
  });
});
