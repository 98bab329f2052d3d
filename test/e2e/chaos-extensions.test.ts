/**
 * The offline-only extensions of the Chaos API over real HTTP into the runtime: a rule that
 * removes itself, a seeded rule whose decisions replay, latency with jitter and per service, and
 * Lambda faults (AWS FIS's invocation-error and invocation-add-delay) on one named function.
 * Timings are scaled to keep each test to a few seconds.
 */
import http from 'node:http';
import { names } from '#spec';
import { LAMBDA_FAULTS_PATH } from '../../shared/contracts/offline-api';
import { LAMBDA_DELAY, LAMBDA_ERROR } from '../../shared/contracts/chaos-api';
import { eventually, type OfflineRuntime, runtimeForSuite } from '../support/offline';

let runtime: OfflineRuntime;
runtimeForSuite((started) => (runtime = started), { reset: 'chaos' });

/** One request to the Lambda faults endpoint, with extra headers (an Origin) if given. */
function lambdaFaults(method: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  const text = body === undefined ? '' : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port: runtime.port,
        method,
        path: LAMBDA_FAULTS_PATH,
        headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) as unknown }));
      },
    );
    request.on('error', reject);
    request.end(text);
  });
}

afterEach(async () => {
  await lambdaFaults('POST', []);
});

/** Whether a Scan goes through (false: a fault failed it). */
const scanPasses = () =>
  runtime.scan().then(
    () => true,
    () => false,
  );

async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

it('a rule with durationMs shows its time left, then removes itself and calls go through', async () => {
  const rule = { service: 'dynamodb', operation: 'Scan', durationMs: 1500 };
  const answer = await runtime.chaos('POST', 'faults', [rule]);
  expect(answer).toEqual({ status: 200, json: [{ ...rule, remainingMs: expect.any(Number) }] });
  const [{ remainingMs }] = answer.json as [{ remainingMs: number }];
  expect(remainingMs).toBeGreaterThan(1000);
  expect(remainingMs).toBeLessThanOrEqual(1500);
  expect(await scanPasses()).toBe(false);
  await eventually('the rule gone', async () => ((await runtime.chaos('GET', 'faults')).json as unknown[]).length === 0, 5_000);
  expect(await scanPasses()).toBe(true);
});

it('refuses a duration that is not a positive number with 400 naming the field, keeping the rules', async () => {
  expect(await runtime.chaos('POST', 'faults', [{ service: 'sqs', durationMs: 0 }])).toEqual({
    status: 400,
    json: { message: 'Error validating JSON schema: [0].durationMs: must be > 0 and <= 2147483647' },
  });
  expect((await runtime.chaos('GET', 'faults')).json).toEqual([]);
});

it('a seeded rule replays: the same calls get the same fault decisions', async () => {
  const rule = { service: 'dynamodb', operation: 'Scan', probability: 0.5, seed: 2026 };
  const run = async () => {
    await runtime.chaos('POST', 'faults', [rule]);
    const decisions: boolean[] = [];
    for (let i = 0; i < 16; i += 1) decisions.push(await scanPasses());
    return decisions;
  };
  const first = await run();
  expect(await run()).toEqual(first);
  expect(new Set(first)).toEqual(new Set([true, false]));
});

it('latency per service, with jitter; LocalStack’s {"latency"} form answers as before', async () => {
  const effects = { latency: 0, services: { dynamodb: { latency: 400, jitterMs: 100 } } };
  expect(await runtime.chaos('POST', 'effects', effects)).toEqual({ status: 200, json: effects });
  expect(await timed(() => runtime.scan())).toBeGreaterThanOrEqual(290);
  expect(await timed(() => runtime.queueUrl(names.queue))).toBeLessThan(250);

  await runtime.chaos('POST', 'effects', { latency: 150, jitterMs: 120 });
  const waits = [];
  for (let i = 0; i < 5; i += 1) waits.push(await timed(() => runtime.scan()));
  for (const wait of waits) expect(wait).toBeGreaterThanOrEqual(25);
  expect(Math.max(...waits) - Math.min(...waits)).toBeGreaterThan(10);

  expect(await runtime.chaos('POST', 'effects', { latency: 0 })).toEqual({ status: 200, json: { latency: 0 } });
  expect(await runtime.chaos('GET', 'effects')).toEqual({ status: 200, json: { latency: 0 } });
});

describe('Lambda faults on one named function', () => {
  const product = (id: string) => ({ id, name: 'Chaos', price: 1, description: 'lambda fault' });

  it('invocation-error with preventExecution: the API answers 502, the product is not stored', async () => {
    const fault = { functionName: names.productFunction, action: LAMBDA_ERROR, preventExecution: true };
    expect(await lambdaFaults('POST', [fault])).toEqual({ status: 200, json: [fault] });
    expect(await runtime.post(product('lf-error'))).toMatchObject({ status: 502 });
    expect(await runtime.item('lf-error')).toBeUndefined();
    expect(await lambdaFaults('DELETE', [fault])).toEqual({ status: 200, json: [] });
    expect(await runtime.post(product('lf-error'))).toMatchObject({ status: 200 });
  });

  it('invocation-add-delay delays the named function’s invocations', async () => {
    const fault = { functionName: names.productFunction, action: LAMBDA_DELAY, startupDelayMilliseconds: 800 };
    await lambdaFaults('POST', [fault]);
    expect(await timed(async () => expect(await runtime.post(product('lf-delay'))).toMatchObject({ status: 200 }))).toBeGreaterThanOrEqual(800);
    await lambdaFaults('POST', [{ ...fault, functionName: names.retryFunction }]);
    expect(await timed(() => runtime.post(product('lf-delay')))).toBeLessThan(800);
  });

  it('refuses bad input with 400 naming the field, and pages of other origins with 403', async () => {
    expect(await lambdaFaults('POST', [{ functionName: names.productFunction, action: LAMBDA_ERROR, invocationPercentage: 0 }])).toEqual({
      status: 400,
      json: { message: 'Error validating JSON schema: [0].invocationPercentage: must be from 1 to 100' },
    });
    const fault = { functionName: names.productFunction, action: LAMBDA_ERROR };
    expect(await lambdaFaults('POST', [fault], { Origin: 'http://attacker.example' })).toMatchObject({ status: 403 });
    expect(await lambdaFaults('GET')).toEqual({ status: 200, json: [] });
  });
});
