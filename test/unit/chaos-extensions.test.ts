/**
 * The offline runtime's extensions of the Chaos API (offline/chaos/chaos.ts, shared/contracts/chaos-api.ts): rule durations,
 * seeded rules, jitter and latency per service, and Lambda faults shaped like AWS FIS's. None of
 * them is LocalStack's: LocalStack's own checks (checkRules, checkEffects) still refuse them.
 */
import { Chaos } from '../../offline/chaos/chaos';
import { mulberry32 } from '../../offline/chaos/rule-list';
import { checkEffects, checkLambdaFaults, checkOfflineEffects, checkOfflineRules, checkRules } from '../../shared/contracts/chaos-api-validate';
import { formatProblem, LAMBDA_DELAY, LAMBDA_ERROR } from '../../shared/contracts/chaos-api';

const call = { service: 'dynamodb', region: 'us-east-1', operation: 'PutItem' };
const schemaError = (problem: string) => `Error validating JSON schema: ${problem}`;

/** A Chaos on a clock the test moves. */
function clocked(random: () => number = Math.random) {
  let now = 1_000;
  const chaos = new Chaos(random, () => now);
  return { chaos, advance: (ms: number) => (now += ms) };
}

describe('LocalStack refuses the extensions; the runtime checks them', () => {
  it.each([
    [[{ service: 'sqs', durationMs: 1000 }], 'durationMs'],
    [[{ service: 'sqs', seed: 7 }], 'seed'],
  ])('%j: unknown to LocalStack (the tools refuse to send it), valid offline', (rules, key) => {
    expect(checkRules(rules).map(formatProblem)).toEqual([`[0]: unknown key(s) ${key} (allowed: region, service, operation, probability, description, error)`]);
    expect(checkOfflineRules(rules)).toEqual([]);
  });

  it.each([
    [{ durationMs: 0 }, '[0].durationMs: must be > 0 and <= 2147483647'],
    [{ durationMs: -5 }, '[0].durationMs: must be > 0 and <= 2147483647'],
    [{ durationMs: 2 ** 31 }, '[0].durationMs: must be > 0 and <= 2147483647'],
    [{ durationMs: '1000' }, '[0].durationMs: expected number, received string'],
    [{ seed: 1.5 }, '[0].seed: expected integer, received number'],
    [{ seed: -1 }, '[0].seed: must be from 0 to 4294967295'],
    [{ seed: 2 ** 32 }, '[0].seed: must be from 0 to 4294967295'],
  ])('refuses %j naming the field', (rule, problem) => {
    expect(checkOfflineRules([{ service: 'sqs', ...rule }]).map(formatProblem)).toEqual([problem]);
    expect(() => new Chaos().setFaults([{ service: 'sqs', ...rule }])).toThrow(schemaError(problem));
  });

  it('keeps LocalStack’s messages for the rest of a rule, extension fields or not', () => {
    const rules = [{ service: 'dynamo db', durationMs: 100, latency: 5 }];
    expect(checkOfflineRules(rules).map(formatProblem)).toEqual([
      '[0]: unknown key(s) latency (allowed: region, service, operation, probability, description, error)',
      '[0].service: must match ^[a-zA-Z0-9-_]+$',
    ]);
  });
});

describe('durationMs: a rule that removes itself', () => {
  it('GET shows the time left; once it has passed the rule is gone and calls go through', () => {
    const { chaos, advance } = clocked();
    expect(chaos.setFaults([{ service: 'dynamodb', durationMs: 1500 }, { service: 'sns' }])).toEqual([
      { service: 'dynamodb', durationMs: 1500, remainingMs: 1500 },
      { service: 'sns' },
    ]);
    advance(1000.5);
    expect(chaos.getFaults()).toEqual([{ service: 'dynamodb', durationMs: 1500, remainingMs: 500 }, { service: 'sns' }]);
    expect(chaos.faultFor(call)).toEqual({ statusCode: 503, code: 'ServiceUnavailable' });
    advance(499.5);
    expect(chaos.faultFor(call)).toBeUndefined();
    expect(chaos.getFaults()).toEqual([{ service: 'sns' }]);
  });

  it('PATCH starts each rule’s own clock; DELETE of a rule as GET answered it removes it', () => {
    const { chaos, advance } = clocked();
    chaos.addFaults([{ service: 'sqs', durationMs: 1000 }]);
    advance(600);
    expect(chaos.addFaults([{ service: 'sns', durationMs: 1000 }])).toEqual([
      { service: 'sqs', durationMs: 1000, remainingMs: 400 },
      { service: 'sns', durationMs: 1000, remainingMs: 1000 },
    ]);
    const [sqs] = chaos.getFaults();
    expect(chaos.removeFaults([sqs])).toEqual([{ service: 'sns', durationMs: 1000, remainingMs: 1000 }]);
    expect(chaos.removeFaults([{ service: 'sns', durationMs: 1000 }])).toEqual([]);
  });
});

describe('seed: decisions that replay', () => {
  const decisions = (chaos: Chaos, n: number) => Array.from({ length: n }, () => chaos.faultFor(call) !== undefined);

  it('the same seeded rule gives the same decisions for the same calls, whatever the unseeded draws', () => {
    const rule = { service: 'dynamodb', probability: 0.5, seed: 42 };
    const first = new Chaos(() => 0);
    first.setFaults([rule]);
    const second = new Chaos(() => 0.999);
    second.setFaults([rule]);
    const recorded = decisions(first, 40);
    expect(decisions(second, 40)).toEqual(recorded);
    // Both outcomes occur, in the proportion asked for.
    expect(recorded.filter(Boolean).length).toBeGreaterThan(10);
    expect(recorded.filter((fired) => !fired).length).toBeGreaterThan(10);
    // Setting the rule again starts its sequence again; another seed gives another one.
    second.setFaults([rule]);
    expect(decisions(second, 40)).toEqual(recorded);
    second.setFaults([{ ...rule, seed: 43 }]);
    expect(decisions(second, 40)).not.toEqual(recorded);
  });

  it('calls another rule decides do not advance a seeded rule’s sequence', () => {
    const chaos = new Chaos();
    chaos.setFaults([
      { service: 'sqs', probability: 0.5 },
      { service: 'dynamodb', probability: 0.5, seed: 9 },
    ]);
    const interleaved = Array.from({ length: 30 }, () => {
      chaos.faultFor({ ...call, service: 'sqs' });
      return chaos.faultFor(call) !== undefined;
    });
    const alone = new Chaos();
    alone.setFaults([{ service: 'dynamodb', probability: 0.5, seed: 9 }]);
    expect(interleaved).toEqual(decisions(alone, 30));
  });

  it('mulberry32 gives the reference implementation’s sequence (seed 1), so recorded seeds replay', () => {
    const next = mulberry32(1);
    expect([next(), next(), next()].map((draw) => draw * 4_294_967_296)).toEqual([2693262067, 11749833, 2265367787]);
  });
});

describe('effects: jitter and latency per service', () => {
  it('LocalStack’s check refuses the extensions; the runtime accepts them', () => {
    const body = { latency: 100, jitterMs: 20, services: { dynamodb: { latency: 300, jitterMs: 50 } } };
    expect(checkEffects(body).map(formatProblem)).toEqual(['body: unknown key(s) jitterMs, services (allowed: latency)']);
    expect(checkOfflineEffects(body)).toEqual([]);
  });

  it.each([
    [{ latency: 0, jitterMs: -1 }, 'jitterMs: must be >= 0'],
    [{ latency: 0, jitterMs: 1.5 }, 'jitterMs: expected integer, received number'],
    [{ latency: 0, services: [] }, 'services: expected object, received array'],
    [{ latency: 0, services: { 'dynamo db': { latency: 5 } } }, 'services.dynamo db: key must match ^[a-zA-Z0-9-_]+$'],
    [{ latency: 0, services: { dynamodb: {} } }, 'services.dynamodb.latency: required'],
    [{ latency: 0, services: { dynamodb: { latency: 5, jitter: 1 } } }, 'services.dynamodb: unknown key(s) jitter (allowed: latency, jitterMs)'],
    [{ services: { dynamodb: { latency: 5 } } }, 'latency: required'],
  ])('refuses %j: %s', (body, problem) => {
    expect(checkOfflineEffects(body).map(formatProblem)).toEqual([problem]);
    expect(() => new Chaos().setEffects(body)).toThrow(schemaError(problem));
  });

  it('GET answers what was set: LocalStack’s {"latency"} alone stays exactly that', () => {
    const chaos = new Chaos();
    const body = { latency: 10, services: { dynamodb: { latency: 300, jitterMs: 50 } } };
    expect(chaos.setEffects(body)).toEqual(body);
    expect(chaos.setEffects({ latency: 5 })).toStrictEqual({ latency: 5 });
    expect(JSON.stringify(chaos.getEffects())).toBe('{"latency":5}');
  });

  it('a call waits its service’s latency if set, else the global one, moved by at most the jitter', () => {
    const draws = [0, 0.5, 0.999_999, 0.25];
    const chaos = new Chaos(() => draws.shift() ?? 0.5);
    chaos.setEffects({ latency: 100, jitterMs: 20, services: { dynamodb: { latency: 300, jitterMs: 50 }, sqs: { latency: 0 } } });
    expect([chaos.latencyFor('sns'), chaos.latencyFor('sns'), chaos.latencyFor('sns')]).toEqual([80, 100, 120]);
    expect(chaos.latencyFor('dynamodb')).toBe(275);
    expect(chaos.latencyFor('sqs')).toBe(0);
    // Never below zero.
    chaos.setEffects({ latency: 10, jitterMs: 50 });
    draws.push(0);
    expect(chaos.latencyFor('sns')).toBe(0);
  });
});

describe('Lambda faults, shaped like AWS FIS', () => {
  const lambdaProblems = (body: unknown) => checkLambdaFaults(body).map(formatProblem);

  it('accepts the FIS parameters of each action', () => {
    expect(
      lambdaProblems([
        { functionName: 'ProductFunction', action: LAMBDA_ERROR, invocationPercentage: 50, preventExecution: true, durationMs: 1000, seed: 1 },
        { functionName: 'ProductFunction', action: LAMBDA_DELAY, invocationPercentage: 100, startupDelayMilliseconds: 900_000 },
      ]),
    ).toEqual([]);
  });

  it.each([
    [{ action: LAMBDA_ERROR }, '[0].functionName: required'],
    [{ functionName: 'F' }, '[0].action: required'],
    [{ functionName: 'F', action: 'aws:lambda:invocation-http-integration-response' }, `[0].action: must be one of ${LAMBDA_ERROR}, ${LAMBDA_DELAY}`],
    [{ functionName: 'a:b', action: LAMBDA_ERROR }, '[0].functionName: must match ^[a-zA-Z0-9-_]+$'],
    [{ functionName: 'F', action: LAMBDA_ERROR, invocationPercentage: 0 }, '[0].invocationPercentage: must be from 1 to 100'],
    [{ functionName: 'F', action: LAMBDA_ERROR, preventExecution: 'yes' }, '[0].preventExecution: expected boolean, received string'],
    [{ functionName: 'F', action: LAMBDA_DELAY, startupDelayMilliseconds: 900_001 }, '[0].startupDelayMilliseconds: must be from 0 to 900000'],
    [{ functionName: 'F', action: LAMBDA_DELAY, preventExecution: true }, `[0].preventExecution: only for ${LAMBDA_ERROR}`],
    [{ functionName: 'F', action: LAMBDA_ERROR, startupDelayMilliseconds: 5 }, `[0].startupDelayMilliseconds: only for ${LAMBDA_DELAY}`],
    [{ functionName: 'F', action: LAMBDA_ERROR, durationMs: 0 }, '[0].durationMs: must be > 0 and <= 2147483647'],
    [
      { functionName: 'F', action: LAMBDA_ERROR, latency: 5 },
      '[0]: unknown key(s) latency (allowed: functionName, action, invocationPercentage, preventExecution, startupDelayMilliseconds, description, durationMs, seed, remainingMs)',
    ],
  ])('refuses %j: %s', (fault, problem) => {
    expect(lambdaProblems([fault])).toEqual([problem]);
    expect(() => new Chaos().setLambdaFaults([fault])).toThrow(schemaError(problem));
  });

  it('applies FIS’s defaults (100 %, 1000 ms, the handler run) to the named function only', () => {
    const chaos = new Chaos(() => 0.999_999);
    chaos.setLambdaFaults([
      { functionName: 'ProductFunction', action: LAMBDA_ERROR },
      { functionName: 'ProductFunction', action: LAMBDA_DELAY },
    ]);
    expect(chaos.invocationFault('ProductFunction')).toEqual({ startupDelayMs: 1000, error: { preventExecution: false } });
    expect(chaos.invocationFault('ProductRetryFunction')).toBeUndefined();
  });

  it('fires on invocationPercentage of invocations; the first matching fault of each action decides', () => {
    const draws = [0.29, 0.31];
    const chaos = new Chaos(() => draws.shift() ?? 0);
    chaos.setLambdaFaults([
      { functionName: 'F', action: LAMBDA_ERROR, invocationPercentage: 30, preventExecution: true },
      { functionName: 'F', action: LAMBDA_ERROR, invocationPercentage: 100 },
    ]);
    expect(chaos.invocationFault('F')).toEqual({ startupDelayMs: 0, error: { preventExecution: true } });
    expect(chaos.invocationFault('F')).toBeUndefined();
  });

  it('a seeded fault replays; a fault with a duration removes itself', () => {
    const { chaos, advance } = clocked();
    const fault = { functionName: 'F', action: LAMBDA_DELAY, invocationPercentage: 50, startupDelayMilliseconds: 20, seed: 5, durationMs: 100 };
    chaos.setLambdaFaults([fault]);
    const first = Array.from({ length: 30 }, () => chaos.invocationFault('F')?.startupDelayMs ?? 0);
    chaos.setLambdaFaults([fault]);
    expect(Array.from({ length: 30 }, () => chaos.invocationFault('F')?.startupDelayMs ?? 0)).toEqual(first);
    expect(new Set(first)).toEqual(new Set([0, 20]));
    expect(chaos.getLambdaFaults()).toEqual([{ ...fault, remainingMs: 100 }]);
    advance(100);
    expect(chaos.getLambdaFaults()).toEqual([]);
    expect(chaos.invocationFault('F')).toBeUndefined();
  });
});
