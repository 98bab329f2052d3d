/**
 * Lambda concurrency as AWS models it (issue #10, finding 5): the product function runs at most
 * offline.productConcurrency invocations at once; beyond that Lambda throttles at once (429
 * TooManyRequestsException) and API Gateway answers the client 500 "Internal server error" — a
 * refusal that stores nothing. No request waits in a queue for an environment, so none waits out
 * API Gateway's 29 s integration timeout, and none is stored after a 504.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { names, offline, retryPath } from '#spec';
import { type ApiAnswer, type OfflineRuntime, runtimeForSuite } from '../support/offline';
import { scaled } from '../support/time-scale';

let runtime: OfflineRuntime;
runtimeForSuite((started) => (runtime = started));

it('throttles writers beyond the limit at once with API Gateway’s answer, and stores none of them, with 5 s latency', async () => {
  await runtime.chaos('POST', 'effects', { latency: 5_000 });
  try {
    const writers = 4 * offline.productConcurrency;
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: writers }, async (_, i): Promise<ApiAnswer & { id: string; ms: number }> => {
        const id = `conc-${i}`;
        const answer = await runtime.post({ id, name: 'Concurrent', price: 1, description: `writer ${i}` });
        return { ...answer, id, ms: Date.now() - started };
      }),
    );
    const throttled = answers.filter((answer) => answer.status === 500);
    const others = answers.filter((answer) => answer.status !== 500);
    console.log(
      `${writers} writers, limit ${offline.productConcurrency}, 5 s latency: ${throttled.length} throttled (slowest ${Math.max(...throttled.map((a) => a.ms))} ms), ` +
        `others ${JSON.stringify(others.map((a) => a.status))} (slowest ${Math.max(...others.map((a) => a.ms))} ms)`,
    );

    // Every answer well before API Gateway's 29 s (the margin scaled on a busy machine); the throttled ones at once.
    for (const answer of answers) expect(answer.ms).toBeLessThan(scaled(20_000));
    expect(answers.some((answer) => answer.status === 504)).toBe(false);
    // All the requests arrived while the first offline.productConcurrency were running (each takes ≥ 5 s).
    expect(throttled).toHaveLength(writers - offline.productConcurrency);
    for (const answer of throttled) {
      expect(answer.ms).toBeLessThan(scaled(3_000));
      expect(answer.headers['x-amzn-errortype']).toBe('InternalServerErrorException');
      const body = JSON.parse(answer.body) as { message: string; reason: string };
      expect(body.message).toBe('Internal server error');
      expect(body.reason).toContain(`Lambda throttled ${names.productFunction} (429 TooManyRequestsException: Rate Exceeded.)`);
      expect(body.reason).toContain('nothing was stored');
    }
    expect(others.map((answer) => answer.status)).toEqual(Array(offline.productConcurrency).fill(200));

    // Nothing refused appears later: read the table once nothing can write any more.
    await runtime.chaos('POST', 'effects', { latency: 0 });
    await runtime.settled();
    const stored = new Set((await runtime.scan()).map((item) => item.id?.S));
    for (const answer of throttled) expect(stored.has(answer.id)).toBe(false);
    for (const answer of others) expect(stored.has(answer.id)).toBe(true);

    const health = JSON.parse((await runtime.get('/_localstack/health')).body) as {
      functions: Record<string, { concurrencyLimit: number; throttles: number }>;
    };
    expect(health.functions[names.productFunction]).toMatchObject({
      concurrencyLimit: offline.productConcurrency,
      throttles: writers - offline.productConcurrency,
    });
    expect(
      runtime.logs.filter((line) => line.includes(`=> 500 (Lambda throttled ${names.productFunction}: 429 TooManyRequestsException, Rate Exceeded.)`)),
    ).toHaveLength(throttled.length);
  } finally {
    await runtime.chaos('POST', 'effects', { latency: 0 });
  }
}, 90_000);

it('keeps the event source mapping’s own concurrency: its pollers never throttle the retry function, which has no reserved concurrency', async () => {
  const health = JSON.parse((await runtime.get('/_localstack/health')).body) as { functions: Record<string, { concurrencyLimit: number; throttles: number }> };
  expect(retryPath.maximumConcurrency).toBeLessThan(offline.productConcurrency);
  expect(health.functions[names.retryFunction]).toMatchObject({ concurrencyLimit: offline.productConcurrency, throttles: 0 });
});

it('serves many AWS calls waiting out the latency at once without a Node warning', async () => {
  await runtime.chaos('POST', 'effects', { latency: 300 });
  try {
    // More than Node's default of 10 listeners on the one signal that cuts those waits short at a stop.
    const calls = Array.from({ length: 3 * offline.productConcurrency }, () => runtime.dynamo.send(new DescribeTableCommand({ TableName: names.table })));
    const tables = await Promise.all(calls);
    expect(tables.every((answer) => answer.Table?.TableName === names.table)).toBe(true);
    expect(runtime.stderr).not.toContain('MaxListenersExceededWarning');
  } finally {
    await runtime.chaos('POST', 'effects', { latency: 0 });
  }
});
