/**
 * Section app of `npm run bench`: every figure of the application on the offline runtime, each
 * timing a distribution (p50/p95/p99) over many requests: stored and queued writes, reads, the
 * 5 s latency requests, time to consistency and drain rate, recovery after outages, and the
 * bundles' size and cold load.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { env as envName, localstack, names, region, timing } from '#spec';
import { percentile } from '../chaos/report/stats';
import { startRuntime } from '../offline/runtime/compose';
import type { buildAll } from '../shared/build/lambda-bundles';
import { distribution, type Result } from './figures';
import { api, consistency, recovery, recoveryOutages, recoveryTargetSeconds } from './recovery';

/** What bench measures, in the order it measures it, with the samples of a full run. */
export const measures = {
  stored: { name: 'POST, stored (200)', n: 300 },
  get: { name: 'GET by id (200)', n: 300 },
  bare: { name: 'bare SDK PutItem to the same emulator', n: 300 },
  overhead: { name: 'product handler overhead over a bare PutItem (p50 ratio)', n: 0 },
  queuedOpen: { name: 'POST, queued, DynamoDB down, breaker open (202)', n: 200 },
  slow: { name: 'POST with 5 s latency on every AWS call (200)', n: 3 },
  slowQueued: { name: 'POST with 5 s latency, DynamoDB down (202)', n: 3 },
  queuedClosed: { name: 'POST, queued, DynamoDB down, breaker closed (202)', n: 100 },
} as const;
export const drainCounts = [100, 1000] as const;

export const bundleLoads = 5;

/** --quick: the same figures from a tenth of the samples (one of each 5 s latency request). */
export const quickSamples = (full: number) => (full <= 3 ? 1 : Math.max(3, Math.ceil(full / 10)));

const fastTimings = { visibilityTimeoutSeconds: 30, pollWaitSeconds: 1 };

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const value = await fn();
  return [performance.now() - started, value];
}

async function series(n: number, fn: (i: number) => Promise<number>, expect: number[]): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const [elapsed, status] = await timed(() => fn(i));
    if (!expect.includes(status)) throw new Error(`unexpected status ${status}`);
    ms.push(elapsed);
  }
  return ms;
}

/** Section app: every figure of the application on the offline runtime, as bench measured before the deploy section. */
export async function appSection(built: Awaited<ReturnType<typeof buildAll>>, quick: boolean, record: (...figures: Result[]) => void): Promise<void> {
  const n = (measure: { n: number }) => (quick ? quickSamples(measure.n) : measure.n);
  const quiet = () => undefined;

  const runtime = await startRuntime({ port: 0, log: quiet, build: false, timings: fastTimings });
  try {
    const { post, get, faults, latency, dynamo } = api(runtime);
    await series(20, (i) => post(`warm-${i}`), [200]); // warm environments and connections
    const stored = await series(n(measures.stored), (i) => post(`stored-${i}`), [200]);
    record(distribution(measures.stored.name, stored));
    record(distribution(measures.get.name, await series(n(measures.get), (i) => get(`stored-${i}`), [200])));

    const bare = await series(
      n(measures.bare),
      async (i) => {
        await dynamo.send(
          new PutItemCommand({ TableName: names.table, Item: { id: { S: `bare-${i}` }, name: { S: 'Bench' }, price: { N: '1' }, description: { S: 'b' } } }),
        );
        return 200;
      },
      [200],
    );
    record(distribution(measures.bare.name, bare));
    record({ name: measures.overhead.name, unit: 'ratio', value: Math.round((percentile(stored, 50) / percentile(bare, 50)) * 10) / 10 });

    await faults([{ service: 'dynamodb', operation: 'PutItem' }]);
    record(distribution(measures.queuedOpen.name, await series(n(measures.queuedOpen), (i) => post(`queued-open-${i}`), [202])));
    await faults([]);
    await sleep(timing.breakerCooldownMs + 500); // let the product Lambda's breaker close again
    await latency(5_000);
    record(distribution(measures.slow.name, await series(n(measures.slow), (i) => post(`slow-${i}`), [200])));
    await faults([{ service: 'dynamodb', operation: 'PutItem' }]);
    record(distribution(measures.slowQueued.name, await series(n(measures.slowQueued), (i) => post(`slow-q-${i}`), [202])));
    await faults([]);
    await latency(0);
  } finally {
    await runtime.stop();
  }

  // The breaker kept closed: every queued write first pays for DynamoDB's failed attempts.
  const closed = await startRuntime({
    port: 0,
    log: quiet,
    build: false,
    timings: fastTimings,
    environmentOverrides: { product: { BREAKER_FAILURE_THRESHOLD: '1000000' } },
  });
  try {
    const { post, faults } = api(closed);
    await faults([{ service: 'dynamodb', operation: 'PutItem' }]);
    record(distribution(measures.queuedClosed.name, await series(n(measures.queuedClosed), (i) => post(`queued-closed-${i}`), [202])));
    await faults([]);
  } finally {
    await closed.stop();
  }

  for (const count of drainCounts) {
    const drain = await startRuntime({ port: 0, log: quiet, build: false, timings: fastTimings });
    try {
      record(...(await consistency(drain, count)));
    } finally {
      await drain.stop();
    }
  }

  // The outages run side by side (each on a runtime of its own), so the 3-minute one sets the pace.
  const outages = recoveryOutages.filter((outage) => !(quick && 'skippedByQuick' in outage));
  for (const outage of recoveryOutages) {
    if (!outages.includes(outage))
      console.log(`  recovery after a ${outage.label}: skipped (--quick keeps the run short; the 10 s and the scaled outage stand for it)`);
  }
  console.log(`  (outages of ${outages.map((o) => `${o.outageSeconds} s`).join(', ')} under way side by side...)`);
  const recoveries = await Promise.all(outages.map((outage) => recovery(outage)));
  for (const figures of recoveries) record(...figures);
  const times = recoveries.map((figures, i) => `${outages[i]?.label}: ${figures[0] && 'value' in figures[0] ? figures[0].value : '?'} s`);
  console.log(`  recovery side by side (target ${recoveryTargetSeconds} s): ${times.join(' | ')}`);

  for (const { name, file } of built) {
    const loads = Array.from({ length: bundleLoads }, () => {
      const script = `const t=process.hrtime.bigint();require(${JSON.stringify(path.resolve(file))});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
      const env = {
        ...process.env,
        [envName.tableName]: 'T',
        [envName.topicArn]: `arn:aws:sns:${region}:${localstack.accountId}:T`,
        [envName.queueUrl]: 'http://q',
        [envName.deadLetterQueueUrl]: 'http://d',
      };
      return Number(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }).trim());
    });
    record(
      { name: `bundle ${name}: size`, unit: 'KiB', value: Math.round(statSync(file).size / 1024) },
      distribution(`bundle ${name}: cold module load`, loads),
    );
  }
}
