/**
 * The Chaos API contract (shared/contracts/chaos-api.ts) and its engine (offline/chaos/chaos.ts): LocalStack's schema (FaultRule, NetworkEffectsConfig,
 * uniqueItems) checked exactly, and what the edge cases mean: `{}`, probability 0, `DELETE []`.
 */
import { Chaos } from '../../offline/chaos/chaos';
import { ChaosValidationError, checkEffects, checkRules, jsonEqual, uniqueRules } from '../../shared/contracts/chaos-api-validate';
import { formatProblem } from '../../shared/contracts/chaos-api';

const call = { service: 'dynamodb', region: 'us-east-1', operation: 'PutItem' };
const problems = (rules: unknown) => checkRules(rules).map(formatProblem);

/** A rule with one field set at `path` ('error.code' sets rule.error.code). */
function ruleWith(path: string, value: unknown): Record<string, unknown> {
  const [first, second] = path.split('.') as [string, string | undefined];
  return second === undefined ? { [first]: value } : { [first]: { [second]: value } };
}

describe('each field against its schema', () => {
  it.each([
    [
      'service',
      ['dynamodb', 'sqs', 'resource-groups', 'a_b', 'S3', 'dynamodb\n'],
      ['', 'dynamo db', 'dynamodb!', 'sqs.fifo', 'dynamödb', 'dynamodb\n\n', '\ndynamodb'],
      'must match ^[a-zA-Z0-9-_]+$',
    ],
    ['region', ['us-east-1', 'eu-west-1', 'X9', 'us-east-1\n'], ['', 'us_east_1', 'us east 1', 'us-east-1.', 'us-east-1\n\n'], 'must match ^[a-zA-Z0-9-]+$'],
    ['operation', ['PutItem', 'sendMessage', 'a'], ['', 'Put1', 'Put Item', 'Put_Item', 'Put-Item'], 'must match ^[a-zA-Z]+$'],
    [
      'error.code',
      ['ServiceUnavailable', 'SomethingWentWrong', 'Err500', '500'],
      ['', 'Some.Error', 'Some Error', 'Some-Error', 'Some_Error'],
      'must match ^[a-zA-Z0-9]+$',
    ],
  ])('%s: accepts %j, refuses %j naming the field and the pattern', (path, good, bad, message) => {
    for (const value of good) expect(problems([ruleWith(path, value)])).toEqual([]);
    for (const value of bad) expect(problems([ruleWith(path, value)])).toEqual([`[0].${path}: ${message}`]);
  });

  it.each([
    [
      'probability',
      [0, 0.5, 1, -0],
      [
        [-0.01, 'must be from 0 to 1'],
        [1.01, 'must be from 0 to 1'],
        ['1', 'expected number, received string'],
        [null, 'expected number, received null'],
        [true, 'expected number, received boolean'],
      ],
    ],
    [
      'error.statusCode',
      [400, 503, 599],
      [
        [399, 'must be from 400 to 599'],
        [600, 'must be from 400 to 599'],
        [503.5, 'expected integer, received number'],
        ['503', 'expected integer, received string'],
      ],
    ],
    [
      'description',
      ['', 'x'.repeat(8192), '😀'.repeat(8192)],
      [
        ['x'.repeat(8193), 'must be at most 8192 characters'],
        ['😀'.repeat(8193), 'must be at most 8192 characters'],
        [5, 'expected string, received number'],
      ],
    ],
    [
      'service',
      [],
      [
        [5, 'expected string, received number'],
        [null, 'expected string, received null'],
        [['sqs'], 'expected string, received array'],
      ],
    ],
  ] as Array<[string, unknown[], Array<[unknown, string]>]>)('%s: accepts %j and refuses the rest with a message', (path, good, bad) => {
    for (const value of good) expect(problems([ruleWith(path, value)])).toEqual([]);
    for (const [value, message] of bad) expect(problems([ruleWith(path, value)])).toEqual([`[0].${path}: ${message}`]);
  });

  it('counts a description in characters as LocalStack (Python) does: 8192 emoji fit, 8193 do not', () => {
    // JavaScript's length counts 16384 for 8192 emoji; a check on .length would refuse what LocalStack accepts.
    expect('😀'.repeat(8192).length).toBe(16384);
    expect(problems([{ description: '😀'.repeat(8192) }])).toEqual([]);
  });

  it('takes 503.0 as the integer 503, as JSON Schema does', () => {
    expect(problems(JSON.parse('[{"error": {"statusCode": 503.0}}]'))).toEqual([]);
  });

  it('refuses unknown keys in a rule and in its error, and an error that is not an object', () => {
    expect(problems([{ service: 'sqs', latency: 5 }])).toEqual([
      '[0]: unknown key(s) latency (allowed: region, service, operation, probability, description, error)',
    ]);
    expect(problems([{ error: { statusCode: 500, message: 'x' } }])).toEqual(['[0].error: unknown key(s) message (allowed: statusCode, code)']);
    expect(problems([{ toString: 'x' }])).toEqual(['[0]: unknown key(s) toString (allowed: region, service, operation, probability, description, error)']);
    expect(problems([{ error: null }])).toEqual(['[0].error: expected object, received null']);
    expect(problems([{ error: 'Throttling' }])).toEqual(['[0].error: expected object, received string']);
    expect(problems(['sqs'])).toEqual(['[0]: expected object, received string']);
  });

  it('refuses a body that is not a list', () => {
    expect(problems({ service: 'sqs' })).toEqual(['body: expected array, received object']);
    expect(problems(null)).toEqual(['body: expected array, received null']);
  });

  it('names every problem, in every rule', () => {
    expect(problems([{ service: 'sqs' }, { operation: 'put item', error: { code: 'Some.Error', statusCode: 200 } }])).toEqual([
      '[1].operation: must match ^[a-zA-Z]+$',
      '[1].error.statusCode: must be from 400 to 599',
      '[1].error.code: must match ^[a-zA-Z0-9]+$',
    ]);
  });

  it('accepts the empty list and the empty rule', () => {
    expect(problems([])).toEqual([]);
    expect(problems([{}])).toEqual([]);
    expect(problems([{ error: {} }])).toEqual([]);
  });
});

describe('uniqueItems: no two equal rules in one body', () => {
  it.each([
    ['two equal rules', [{ service: 'sqs' }, { service: 'sqs' }], ['[1]: duplicate of [0]: the list must have unique items (uniqueItems)']],
    [
      'equal but for key order',
      [
        { service: 's3', region: 'us-east-1' },
        { region: 'us-east-1', service: 's3' },
      ],
      ['[1]: duplicate of [0]: the list must have unique items (uniqueItems)'],
    ],
    [
      'equal errors nested',
      [{ service: 'sqs', error: { code: 'A', statusCode: 500 } }, { service: 'sns' }, { service: 'sqs', error: { statusCode: 500, code: 'A' } }],
      ['[2]: duplicate of [0]: the list must have unique items (uniqueItems)'],
    ],
    ['0 and -0 (equal in JSON)', [{ probability: 0 }, { probability: -0 }], ['[1]: duplicate of [0]: the list must have unique items (uniqueItems)']],
    ['two empty rules', [{}, {}], ['[1]: duplicate of [0]: the list must have unique items (uniqueItems)']],
    [
      'three copies',
      [{}, {}, {}],
      ['[1]: duplicate of [0]: the list must have unique items (uniqueItems)', '[2]: duplicate of [0]: the list must have unique items (uniqueItems)'],
    ],
  ])('refuses %s', (_label, body, expected) => {
    expect(problems(body)).toEqual(expected);
  });

  it.each([
    ['codes differing in case', [{ error: { code: 'A' } }, { error: { code: 'a' } }]],
    ['a rule and the same rule with one more field', [{ service: 'sqs' }, { service: 'sqs', probability: 1 }]],
  ])('accepts %s', (_label, body) => {
    expect(problems(body)).toEqual([]);
  });

  it('refuses duplicates in POST, PATCH and DELETE alike, with 400-worthy ChaosValidationError, changing nothing', () => {
    const chaos = new Chaos();
    chaos.setFaults([{ service: 'sns' }]);
    const twice = [{ service: 'sqs' }, { service: 'sqs' }];
    const message = 'Error validating JSON schema: [1]: duplicate of [0]: the list must have unique items (uniqueItems)';
    for (const send of [(b: unknown) => chaos.setFaults(b), (b: unknown) => chaos.addFaults(b), (b: unknown) => chaos.removeFaults(b)]) {
      expect(() => send(twice)).toThrow(ChaosValidationError);
      expect(() => send(twice)).toThrow(message);
    }
    expect(chaos.getFaults()).toEqual([{ service: 'sns' }]);
  });

  it('uniqueRules keeps the first of equal rules, in order', () => {
    expect(uniqueRules([{ service: 'sqs' }, { service: 'sns' }, { service: 'sqs' }, {}])).toEqual([{ service: 'sqs' }, { service: 'sns' }, {}]);
  });

  it('jsonEqual: key order aside, -0 is 0, true is not 1', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual(0, -0)).toBe(true);
    expect(jsonEqual(true, 1)).toBe(false);
    expect(jsonEqual({ a: undefined }, {})).toBe(false);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
  });
});

describe('effects: {latency: integer >= 0}, nothing else', () => {
  const effectProblems = (body: unknown) => checkEffects(body).map(formatProblem);

  it.each([[{ latency: 0 }], [{ latency: 5000 }], [{ latency: 600_001 }], [{ latency: 1e300 }]])('accepts %j (no maximum, as in LocalStack)', (body) => {
    expect(effectProblems(body)).toEqual([]);
  });

  it.each([
    [{}, 'latency: required'],
    [{ latency: -1 }, 'latency: must be >= 0'],
    [{ latency: 1.5 }, 'latency: expected integer, received number'],
    [{ latency: '5' }, 'latency: expected integer, received string'],
    [{ latency: null }, 'latency: expected integer, received null'],
    [{ latency: 5, jitter: 1 }, 'body: unknown key(s) jitter (allowed: latency)'],
    [[], 'body: expected object, received array'],
    [null, 'body: expected object, received null'],
  ])('refuses %j: %s', (body, message) => {
    expect(effectProblems(body)).toEqual([message]);
    expect(() => new Chaos().setEffects(body)).toThrow(`Error validating JSON schema: ${message}`);
  });

  it('reports a latency longer than a timer can wait as given, and waits the longest a timer can', () => {
    const chaos = new Chaos();
    expect(chaos.setEffects({ latency: 1e10 })).toEqual({ latency: 1e10 });
    expect(chaos.getEffects()).toEqual({ latency: 1e10 });
    expect(chaos.latency).toBe(2 ** 31 - 1);
    chaos.setEffects({ latency: 250 });
    expect(chaos.latency).toBe(250);
  });
});

describe('what the edge cases do', () => {
  it('an empty rule {} fails every call of every service with 503 ServiceUnavailable', () => {
    const chaos = new Chaos(() => 0.999_999);
    chaos.setFaults([{}]);
    for (const other of [
      call,
      { service: 'sqs', region: 'eu-west-1', operation: 'ReceiveMessage' },
      { service: 'sts', region: 'us-east-1', operation: 'GetCallerIdentity' },
    ]) {
      expect(chaos.faultFor(other)).toEqual({ statusCode: 503, code: 'ServiceUnavailable' });
    }
  });

  it('probability 0 is accepted and never fires, even on the lowest draw', () => {
    const chaos = new Chaos(() => 0);
    expect(chaos.setFaults([{ service: 'dynamodb', probability: 0 }])).toEqual([{ service: 'dynamodb', probability: 0 }]);
    expect(chaos.faultFor(call)).toBeUndefined();
  });

  it('probability 1 (and the default) fires even on the highest draw', () => {
    const chaos = new Chaos(() => 0.999_999_9);
    chaos.setFaults([{ service: 'dynamodb', probability: 1 }]);
    expect(chaos.faultFor(call)).toEqual({ statusCode: 503, code: 'ServiceUnavailable' });
    chaos.setFaults([{ service: 'dynamodb' }]);
    expect(chaos.faultFor(call)).toEqual({ statusCode: 503, code: 'ServiceUnavailable' });
  });

  it('a partial probability fires when the draw is below it', () => {
    const draws = [0.49, 0.5, 0.51];
    const chaos = new Chaos(() => draws.shift() ?? 1);
    chaos.setFaults([{ service: 'dynamodb', probability: 0.5, error: { statusCode: 500, code: 'SomethingWentWrong' } }]);
    expect([chaos.faultFor(call), chaos.faultFor(call), chaos.faultFor(call)]).toEqual([{ statusCode: 500, code: 'SomethingWentWrong' }, undefined, undefined]);
  });

  it('DELETE [] is accepted, removes nothing and answers the current list', () => {
    const chaos = new Chaos();
    chaos.setFaults([{ service: 'sqs' }, { service: 'sns' }]);
    expect(chaos.removeFaults([])).toEqual([{ service: 'sqs' }, { service: 'sns' }]);
    expect(chaos.getFaults()).toEqual([{ service: 'sqs' }, { service: 'sns' }]);
  });

  it('PATCH appends a rule equal to an active one; DELETE then removes every copy', () => {
    const chaos = new Chaos();
    chaos.addFaults([{ service: 'sqs' }]);
    expect(chaos.addFaults([{ service: 'sqs' }])).toEqual([{ service: 'sqs' }, { service: 'sqs' }]);
    expect(chaos.removeFaults([{ service: 'sqs' }])).toEqual([]);
  });

  it('DELETE removes only exactly equal rules (key order aside)', () => {
    const chaos = new Chaos();
    chaos.setFaults([{ service: 'sqs', region: 'us-east-1' }, { service: 'sqs' }]);
    expect(
      chaos.removeFaults([
        { region: 'us-east-1', service: 'sqs' },
        { service: 'sqs', probability: 1 },
      ]),
    ).toEqual([{ service: 'sqs' }]);
  });

  it('POST [] clears every rule', () => {
    const chaos = new Chaos();
    chaos.setFaults([{}]);
    expect(chaos.setFaults([])).toEqual([]);
    expect(chaos.faultFor(call)).toBeUndefined();
  });
});
