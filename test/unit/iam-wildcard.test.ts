/** IAM's wildcard match (`*`, `?`); test/integration/iam-wildcard.test.ts: a policy full of wildcards is answered. */
import { wildcardMatch } from '../../offline/services/iam/wildcard';

describe('wildcardMatch', () => {
  it.each<[string, string, boolean]>([
    ['', '', true],
    ['', 'a', false],
    ['a', '', false],
    ['*', '', true],
    ['*', 'arn:aws:sqs:us-east-1:000000000000:queue/with/slashes', true],
    ['**', 'x', true],
    ['?', '', false],
    ['?', 'x', true],
    ['??', 'x', false],
    ['arn:aws:sqs:*', 'arn:aws:sqs:us-east-1:000000000000:Queue', true],
    ['arn:aws:sqs:*', 'arn:aws:sns:us-east-1:000000000000:Queue', false],
    ['table/*', 'table/Products/index/byName', true],
    ['a*b', 'ab', true],
    ['a*b', 'abab', true],
    ['a*b', 'abba', false],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'aXbYcZ', false],
    ['a*?b', 'ab', false],
    ['a*?b', 'axb', true],
    ['*a*a*a', 'aaa', true],
    ['*a*a*a', 'aa', false],
    ['*ab*ba*', 'xxaba', false],
    ['*ab*ba*', 'xxabxba', true],
    // Only `*` and `?` are special: a dot or a bracket is itself.
    ['a.c', 'abc', false],
    ['a.c', 'a.c', true],
    ['[ab]', 'a', false],
    ['[ab]', '[ab]', true],
    // A star or question mark in the text is an ordinary character to the pattern.
    ['a*', 'a*', true],
    ['a?c', 'a*c', true],
    // Case-sensitive: callers lower-case actions themselves.
    ['Products', 'products', false],
  ])('%j against %j is %s', (pattern, text, matches) => {
    expect(wildcardMatch(pattern, text)).toBe(matches);
  });
});
