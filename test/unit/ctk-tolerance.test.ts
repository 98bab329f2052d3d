/** Each tolerance kind of Chaos Toolkit, applied as chaoslib's hypothesis.py applies it to http and process outputs. */
import { jsonPathValues, parseJsonPath } from '../../chaos/runner/jsonpath';
import { type Tolerance, tolerance as toleranceSchema } from '../../chaos/runner/schema';
import { withinTolerance } from '../../chaos/runner/tolerance';

const http = (status: number, body: unknown = '', headers: Record<string, string> = {}) => ({ status, headers, body });
const processOutput = (status: number, stdout = '', stderr = '') => ({ status, stdout, stderr });
const within = (tolerance: unknown, output: unknown, configuration = {}) =>
  withinTolerance(toleranceSchema.parse(tolerance) as Tolerance, output, configuration);

describe('withinTolerance', () => {
  it('a boolean: the output itself', () => {
    expect(within(true, true)).toBe(true);
    expect(within(true, false)).toBe(false);
    expect(within(true, http(200))).toBe(false);
  });

  it('an integer: the HTTP status, the exit code, or the output itself', () => {
    expect(within(200, http(200))).toBe(true);
    expect(within(200, http(503))).toBe(false);
    expect(within(0, processOutput(0))).toBe(true);
    expect(within(0, processOutput(3))).toBe(false);
    expect(within(8, 8)).toBe(true);
  });

  it('a string: the output itself, after substitution', () => {
    expect(within('OK', 'OK')).toBe(true);
    expect(within('${word}', 'fine', { word: 'fine' })).toBe(true);
    expect(within('OK', http(200, 'OK'))).toBe(false);
  });

  it('a list: the status among the values; two values as bounds; more as the accepted values', () => {
    expect(within([200, 202], http(202))).toBe(true);
    expect(within([200, 202], http(201))).toBe(false);
    expect(within([0, 2], processOutput(2))).toBe(true);
    expect(within([4, 9], 6)).toBe(true);
    expect(within([4, 9], 10)).toBe(false);
    expect(within([4, 9, 78], 78)).toBe(true);
    expect(within([4, 9, 78], 6)).toBe(false);
  });

  it('a regex: searched in the target field (body, stdout, stderr)', () => {
    expect(within({ type: 'regex', pattern: '[0-9]{3}' }, 'code 503')).toBe(true);
    expect(within({ type: 'regex', target: 'stdout', pattern: '^ok' }, processOutput(0, 'ok\n'))).toBe(true);
    expect(within({ type: 'regex', target: 'stderr', pattern: 'warn' }, processOutput(0, 'warn', ''))).toBe(false);
    expect(within({ type: 'regex', target: 'body', pattern: 'queued' }, http(202, 'Product queued'))).toBe(true);
    expect(within({ type: 'regex', pattern: '${word}' }, 'all fine', { word: 'fine' })).toBe(true);
    // No target on an object output: nothing to search, so not met (chaoslib would crash).
    expect(within({ type: 'regex', pattern: '.' }, http(200))).toBe(false);
  });

  it('a jsonpath: found at all, found `count` times, or exactly `expect`', () => {
    const body = { foo: [{ baz: 4 }, { baz: 4 }, { bar: 1 }] };
    expect(within({ type: 'jsonpath', path: 'foo[*].baz' }, body)).toBe(true);
    expect(within({ type: 'jsonpath', path: 'foo[*].qux' }, body)).toBe(false);
    expect(within({ type: 'jsonpath', path: '$.foo[*].baz', count: 2 }, body)).toBe(true);
    expect(within({ type: 'jsonpath', path: '$.foo[*].baz', expect: [4, 4] }, body)).toBe(true);
    // A scalar `expect` must be the only value found.
    expect(within({ type: 'jsonpath', path: '$.foo[*].baz', expect: 4 }, body)).toBe(false);
    expect(within({ type: 'jsonpath', path: '$.foo[0].baz', expect: 4 }, body)).toBe(true);
  });

  it('a jsonpath on an http body or a process stdout given as JSON text', () => {
    expect(within({ type: 'jsonpath', target: 'body', path: '$.name', expect: 'Ultimate Gadget' }, http(200, '{"name":"Ultimate Gadget"}'))).toBe(true);
    expect(within({ type: 'jsonpath', target: 'body', path: '$.name', expect: 'Ultimate Gadget' }, http(200, { name: 'Other' }))).toBe(false);
    expect(within({ type: 'jsonpath', target: 'stdout', path: "$['queue']", expect: 0 }, processOutput(0, '{"queue":0}\n'))).toBe(true);
    expect(within({ type: 'jsonpath', target: 'stdout', path: '$.queue' }, processOutput(0, 'not json'))).toBe(false);
  });

  it('a range: the target as a number, or the status', () => {
    expect(within({ type: 'range', range: [4, 8] }, 6)).toBe(true);
    expect(within({ type: 'range', range: [4.6, 8.9] }, 4.5)).toBe(false);
    expect(within({ type: 'range', target: 'stdout', range: [0, 3] }, processOutput(0, '2\n'))).toBe(true);
    expect(within({ type: 'range', target: 'stdout', range: [0, 3] }, processOutput(0, 'two'))).toBe(false);
    expect(within({ type: 'range', range: [200, 299] }, http(204))).toBe(true);
  });
});

describe('the JSONPath subset', () => {
  it('reads keys, quoted keys, indexes and wildcards', () => {
    const doc = { a: { 'b-c': [10, 20], d: { e: 1, f: 2 } } };
    expect(jsonPathValues(doc, "$.a['b-c'][1]")).toEqual([20]);
    expect(jsonPathValues(doc, '$.a.d.*')).toEqual([1, 2]);
    expect(jsonPathValues(doc, 'a["b-c"][*]')).toEqual([10, 20]);
    expect(jsonPathValues(doc, '$')).toEqual([doc]);
    expect(jsonPathValues(doc, '$.a.b-c[5]')).toEqual([]);
  });

  it.each(['$..a', '$.a[?(@.b)]', '$.a[0:2]', '$.a[0,1]', '$.a[-1]', ''])('refuses %j, saying what it supports', (path) => {
    expect(() => parseJsonPath(path)).toThrow(path === '' ? 'is empty' : 'is not supported');
  });
});
