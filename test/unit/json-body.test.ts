/** JSON request bodies: refused with the problem named when they are not JSON or nest too deeply, measured without recursion. */
import { offline } from '#spec';
import { InvalidJson, nestingProblem, parseJson } from '../../shared/http/json-body';

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

it('takes a body nested up to the limit, and names the depth of one nested deeper', () => {
  expect(nestingProblem(nested(offline.maxJsonDepth))).toBeUndefined();
  expect(parseJson(`{"rules": ${nested(offline.maxJsonDepth - 1)}}`)).toBeDefined();
  expect(nestingProblem(nested(offline.maxJsonDepth + 1))).toBe(
    `JSON body nested ${offline.maxJsonDepth + 1} levels deep; at most ${offline.maxJsonDepth} levels of arrays and objects are accepted`,
  );
  // A hundred thousand levels: measured in one pass, no stack overflow.
  expect(() => parseJson(nested(100_000))).toThrow(new InvalidJson(nestingProblem(nested(100_000))));
});

it('counts only the brackets outside strings', () => {
  const inString = JSON.stringify({ text: `${'['.repeat(500)}{"\\"`, more: '\\"[[[' });
  expect(nestingProblem(inString)).toBeUndefined();
  expect(parseJson(inString)).toEqual(JSON.parse(inString));
});

it('names what is wrong with a body that is not JSON', () => {
  expect(() => parseJson('[{"service": ')).toThrow(InvalidJson);
  expect(() => parseJson('[{"service": ')).toThrow(/^Invalid JSON body: /);
});
