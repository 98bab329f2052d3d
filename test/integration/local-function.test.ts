/** The offline Lambda executor: cold starts, isolation, timeouts, the environment Lambda sets. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { offline, region } from '#spec';
import { isThrottled, LocalFunction } from '../../offline/services/lambda/function';
import { harnessPath } from '../../offline/runtime/harness';
import { scaled } from '../support/time-scale';

let dir: string;
const harness = harnessPath; // built by jest's global set-up

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fn-'));
  // A stand-in bundle: sleeps as long as asked, reports its environment and module state.
  writeFileSync(
    path.join(dir, 'index.js'),
    `let calls = 0;
     exports.handler = async (event, context) => {
       calls += 1;
       await new Promise((r) => setTimeout(r, event.sleepMs ?? 0));
       if (event.fail) throw new TypeError('boom');
       return { calls, greeting: process.env.GREETING, remaining: context.getRemainingTimeInMillis(), requestId: context.awsRequestId };
     };`,
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A stand-in bundle that logs with Powertools Logger as the real functions do, and reports what
 * Lambda's environment told it.
 */
function writePowertoolsBundle(): string {
  const file = path.join(dir, 'powertools.js');
  writeFileSync(
    file,
    `const { Logger } = require(${JSON.stringify(require.resolve('@aws-lambda-powertools/logger'))});
     const logger = new Logger({ serviceName: 'cold-start-test' });
     exports.handler = async (event, context) => {
       logger.addContext(context);
       logger.info('invoked');
       await new Promise((r) => setTimeout(r, event.sleepMs ?? 0));
       return { initializationType: process.env.AWS_LAMBDA_INITIALIZATION_TYPE, version: process.env.AWS_LAMBDA_FUNCTION_VERSION };
     };`,
  );
  return file;
}

/** A stand-in bundle that keeps what it allocates: `megabytes` MiB of JS heap per invocation. */
function writeHogBundle(): string {
  const file = path.join(dir, 'hog.js');
  writeFileSync(
    file,
    `const held = [];
     exports.handler = async (event) => {
       // 131,072 small integers: 1 MiB of V8 heap (8 bytes each).
       for (let i = 0; i < event.megabytes; i += 1) held.push(new Array(131072).fill(i));
       const { maxOldGenerationSizeMb, maxYoungGenerationSizeMb } = require('node:worker_threads').resourceLimits;
       return { heldMb: held.length, maxOldGenerationSizeMb, maxYoungGenerationSizeMb };
     };`,
  );
  return file;
}

const fn = (maxConcurrency = 1, timeoutSeconds = 1) =>
  new LocalFunction({
    name: 'Test',
    bundle: path.join(dir, 'index.js'),
    exportName: 'handler',
    harness,
    environment: { GREETING: 'hello' },
    timeoutSeconds,
    memoryMb: 128,
    region,
    maxConcurrency,
    log: () => undefined,
  });

it('runs invocations in one warm environment with the function’s environment and a Lambda context', async () => {
  const f = fn();
  try {
    const first = await f.invoke({});
    const second = await f.invoke({});
    expect(first).toMatchObject({ ok: true, result: { calls: 1, greeting: 'hello' } });
    expect(second).toMatchObject({ ok: true, result: { calls: 2 } });
    const result = (second as { result: { remaining: number; requestId: string } }).result;
    expect(result.remaining).toBeGreaterThan(500);
    expect(result.remaining).toBeLessThanOrEqual(1_000);
    expect(result.requestId).toBe(second.requestId);
  } finally {
    await f.stop();
  }
});

it('fails an invocation that outlives its timeout, and starts the next one cold', async () => {
  // Scaled (time-scale.ts): on a busy machine the next environment's cold start alone can take 0.3 s.
  const timeoutSeconds = scaled(300) / 1_000;
  const f = fn(1, timeoutSeconds);
  try {
    expect(await f.invoke({ sleepMs: scaled(2_000) })).toMatchObject({
      ok: false,
      errorType: 'Sandbox.Timedout',
      errorMessage: `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`,
    });
    expect(await f.invoke({})).toMatchObject({ ok: true, result: { calls: 1 } });
  } finally {
    await f.stop();
  }
});

it('reports a handler error as a failed invocation', async () => {
  const f = fn();
  try {
    expect(await f.invoke({ fail: true })).toMatchObject({ ok: false, errorType: 'TypeError', errorMessage: 'boom' });
  } finally {
    await f.stop();
  }
});

it('runs concurrent invocations in separate environments, up to the limit', async () => {
  const f = fn(2);
  try {
    const first = await Promise.all([0, 1].map(() => f.invoke({ sleepMs: 100 })));
    const second = await Promise.all([0, 1].map(() => f.invoke({ sleepMs: 100 })));
    const calls = [...first, ...second].map((r) => (r as { result: { calls: number } }).result.calls).sort();
    // Two environments, two invocations each: module state is per environment.
    expect(calls).toEqual([1, 1, 2, 2]);
  } finally {
    await f.stop();
  }
});

it('throttles at once beyond the concurrency limit, as Lambda does (429 TooManyRequestsException), queueing nothing', async () => {
  const f = fn(2, scaled(5_000) / 1_000);
  try {
    const running = [0, 1].map(() => f.invoke({ sleepMs: scaled(1_000) }));
    const throttled = await Promise.all([0, 1, 2].map(() => f.invoke({})));
    // Answered while the two running invocations still run: nothing waited for an environment.
    expect(f.running).toBe(2);
    for (const result of throttled) expect(result).toMatchObject({ ok: false, errorType: 'TooManyRequestsException', errorMessage: 'Rate Exceeded.' });
    expect(throttled.every(isThrottled)).toBe(true);
    expect(f.running).toBe(2);
    expect(f.throttles).toBe(3);
    expect(await Promise.all(running)).toMatchObject([{ ok: true }, { ok: true }]);
    // Free again: the next one runs, in a warm environment.
    expect(await f.invoke({})).toMatchObject({ ok: true, result: { calls: 2 } });
  } finally {
    await f.stop();
  }
});

it('frees the limit when an invocation times out (its environment is thrown away)', async () => {
  // Scaled (time-scale.ts): on a busy machine the fresh environment's cold start alone can take 0.3 s.
  const f = fn(1, scaled(300) / 1_000);
  try {
    const slow = f.invoke({ sleepMs: scaled(2_000) });
    expect(await f.invoke({})).toMatchObject({ errorType: 'TooManyRequestsException' });
    expect(await slow).toMatchObject({ errorType: 'Sandbox.Timedout' });
    expect(await f.invoke({})).toMatchObject({ ok: true, result: { calls: 1 } });
  } finally {
    await f.stop();
  }
});

it('once stopping, refuses new invocations, lets running ones finish, and answers one cut short by stop()', async () => {
  const f = fn(2, 10);
  try {
    const finishing = f.invoke({ sleepMs: 300 });
    // Scaled with the bound below, so a busy machine cannot blur the two.
    const long = f.invoke({ sleepMs: scaled(5_000) });
    f.beginStop();
    expect(await f.invoke({})).toMatchObject({ ok: false, errorType: 'Runtime.Stopping' });
    expect(await f.idle(1_000)).toBe(false); // the long one still runs
    expect(await finishing).toMatchObject({ ok: true });
    expect(f.running).toBe(1);
    const started = Date.now();
    await f.stop();
    expect(await long).toMatchObject({ ok: false, errorType: 'Runtime.Stopping' });
    expect(Date.now() - started).toBeLessThan(scaled(1_000));
    expect(f.running).toBe(0);
  } finally {
    await f.stop();
  }
});

it('sets AWS_LAMBDA_INITIALIZATION_TYPE as Lambda does, so Powertools logs cold_start true once per environment', async () => {
  const lines: string[] = [];
  const f = new LocalFunction({
    name: 'Cold',
    bundle: writePowertoolsBundle(),
    exportName: 'handler',
    harness,
    environment: {},
    timeoutSeconds: 5,
    memoryMb: 128,
    region,
    maxConcurrency: 2,
    log: (line) => lines.push(line),
  });
  const coldStarts = () => lines.filter((line) => line.startsWith('{')).map((line) => (JSON.parse(line) as { cold_start: boolean }).cold_start);
  try {
    expect(await f.invoke({})).toMatchObject({ ok: true, result: { initializationType: 'on-demand', version: '$LATEST' } });
    await f.invoke({});
    await f.invoke({});
    expect(coldStarts()).toEqual([true, false, false]);
    // Two at once: the busy first environment is joined by a second one, which starts cold.
    await Promise.all([f.invoke({ sleepMs: 200 }), f.invoke({ sleepMs: 200 })]);
    expect(coldStarts().slice(3).sort()).toEqual([false, true]);
  } finally {
    await f.stop();
  }
});

describe('an environment’s memory', () => {
  const hog = () =>
    new LocalFunction({
      name: 'Hog',
      bundle: writeHogBundle(),
      exportName: 'handler',
      harness,
      environment: {},
      timeoutSeconds: 20,
      memoryMb: 128,
      region,
      maxConcurrency: 1,
      log: () => undefined,
    });

  it('is sized as Lambda’s Node.js runtime sizes it for the MemorySize (old generation), with a small young generation', async () => {
    const f = hog();
    try {
      expect(await f.invoke({ megabytes: 0 })).toMatchObject({
        ok: true,
        result: { maxOldGenerationSizeMb: 128 - 12, maxYoungGenerationSizeMb: offline.lambdaYoungGenerationMb },
      });
    } finally {
      await f.stop();
    }
  });

  it('fails an invocation that outgrows the function’s MemorySize, and the next one starts in a fresh environment', async () => {
    const f = hog();
    try {
      // Twice the function's 128 MB: on AWS the environment is killed; here it must not grow the runtime.
      expect(await f.invoke({ megabytes: 256 })).toMatchObject({ ok: false, errorMessage: expect.stringMatching(/memory/i) });
      expect(await f.invoke({ megabytes: 1 })).toMatchObject({ ok: true, result: { heldMb: 1 } });
    } finally {
      await f.stop();
    }
  });
});
