/**
 * `npm run bench`: the performance figures of the design, measured on the offline runtime, printed
 * as a table and written to reports/bench.json. Noisy machines give noisy numbers: each figure is
 * a distribution (p50/p95/p99) over many requests, measured in one run.
 */
import { BatchGetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { names, timing } from '../infra/spec';
import { startRuntime, type Runtime } from '../local/runtime';
import { buildAll } from './build';
import { percentile } from './lib/experiment';
import { Target } from './lib/target';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

type Figures = Record<string, string | number>;
const results: Array<{ measure: string; figures: Figures }> = [];
const record = (measure: string, figures: Figures) => {
  results.push({ measure, figures });
  console.log(`  ${measure.padEnd(58)} ${Object.entries(figures).map(([k, v]) => `${k} ${v}`).join('  ')}`);
};
const dist = (ms: number[]) => ({ p50: `${percentile(ms, 50).toFixed(1)} ms`, p95: `${percentile(ms, 95).toFixed(1)} ms`, p99: `${percentile(ms, 99).toFixed(1)} ms`, n: ms.length });

const fastTimings = { visibilityTimeoutSeconds: 30, pollWaitSeconds: 1 };

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const value = await fn();
  return [performance.now() - started, value];
}

function api(runtime: Runtime) {
  const target = new Target(runtime.url);
  const url = target.apiUrl;
  return {
    dynamo: target.dynamo,
    post: async (id: string) => {
      const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id, name: 'Bench', price: 1, description: 'b' }) });
      await response.text();
      return response.status;
    },
    get: async (id: string) => {
      const response = await fetch(`${url}?id=${id}`);
      await response.text();
      return response.status;
    },
    faults: (rules: unknown[]) => fetch(`${runtime.url}/_localstack/chaos/faults`, { method: 'POST', body: JSON.stringify(rules) }),
    latency: (ms: number) => fetch(`${runtime.url}/_localstack/chaos/effects`, { method: 'POST', body: JSON.stringify({ latency: ms }) }),
  };
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

async function consistency(runtime: Runtime, count: number): Promise<void> {
  const { post, faults, dynamo } = api(runtime);
  // Queue the writes while nothing is received, so the drain starts the moment the outage ends.
  await faults([{ service: 'dynamodb' }, { service: 'sqs', operation: 'ReceiveMessage' }]);
  await sleep(1_500);
  const ids = Array.from({ length: count }, (_, i) => `drain-${count}-${i}`);
  for (let i = 0; i < ids.length; i += 25) {
    const statuses = await Promise.all(ids.slice(i, i + 25).map((id) => post(id)));
    if (statuses.some((s) => s !== 202)) throw new Error(`expected 202s while DynamoDB is down, got ${statuses.join(',')}`);
  }
  await faults([]);
  const started = performance.now();
  const missing = new Set(ids);
  while (missing.size > 0) {
    for (let i = 0; i < ids.length; i += 100) {
      const keys = ids.slice(i, i + 100).filter((id) => missing.has(id));
      if (keys.length === 0) continue;
      const answer = await dynamo.send(new BatchGetItemCommand({ RequestItems: { [names.table]: { Keys: keys.map((id) => ({ id: { S: id } })) } } }));
      for (const item of answer.Responses?.[names.table] ?? []) missing.delete(item.id?.S ?? '');
    }
    if (performance.now() - started > 300_000) throw new Error(`${missing.size} writes still missing after 5 minutes`);
    if (missing.size > 0) await sleep(50);
  }
  const seconds = (performance.now() - started) / 1000;
  record(`time to consistency, ${count} queued writes`, { seconds: seconds.toFixed(2), 'drain rate': `${(count / seconds).toFixed(0)} items/s` });
}

async function main(): Promise<void> {
  console.log(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`);
  const bundles = await buildAll();
  const quiet = () => undefined;

  const runtime = await startRuntime({ port: 0, log: quiet, build: false, timings: fastTimings });
  try {
    const { post, get, faults, latency, dynamo } = api(runtime);
    await series(20, (i) => post(`warm-${i}`), [200]); // warm environments and connections
    const stored = await series(300, (i) => post(`stored-${i}`), [200]);
    record('POST, stored (200)', dist(stored));
    record('GET by id (200)', dist(await series(300, (i) => get(`stored-${i}`), [200])));

    const bare = await series(300, async (i) => {
      await dynamo.send(new PutItemCommand({ TableName: names.table, Item: { id: { S: `bare-${i}` }, name: { S: 'Bench' }, price: { N: '1' }, description: { S: 'b' } } }));
      return 200;
    }, [200]);
    record('bare SDK PutItem to the same emulator', dist(bare));
    record('product handler overhead over a bare PutItem (p50 ratio)', { ratio: `${(percentile(stored, 50) / percentile(bare, 50)).toFixed(1)}×` });

    await faults([{ service: 'dynamodb', operation: 'PutItem' }]);
    record('POST, queued, DynamoDB down, breaker open (202)', dist(await series(200, (i) => post(`queued-open-${i}`), [202])));
    await faults([]);
    await sleep(timing.breakerCooldownMs + 500); // let the product Lambda's breaker close again
    await latency(5_000);
    record('POST with 5 s latency on every AWS call (200)', dist(await series(3, (i) => post(`slow-${i}`), [200])));
    await faults([{ service: 'dynamodb', operation: 'PutItem' }]);
    record('POST with 5 s latency, DynamoDB down (202)', dist(await series(3, (i) => post(`slow-q-${i}`), [202])));
    await faults([]);
    await latency(0);
  } finally {
    await runtime.stop();
  }

  // The breaker kept closed: every queued write first pays for DynamoDB's failed attempts.
  const closed = await startRuntime({ port: 0, log: quiet, build: false, timings: fastTimings, environmentOverrides: { product: { BREAKER_FAILURE_THRESHOLD: '1000000' } } });
  try {
    const { post, faults } = api(closed);
    await faults([{ service: 'dynamodb', operation: 'PutItem' }]);
    record('POST, queued, DynamoDB down, breaker closed (202)', dist(await series(100, (i) => post(`queued-closed-${i}`), [202])));
    await faults([]);
  } finally {
    await closed.stop();
  }

  for (const count of [100, 1000]) {
    const drain = await startRuntime({ port: 0, log: quiet, build: false, timings: fastTimings });
    try {
      await consistency(drain, count);
    } finally {
      await drain.stop();
    }
  }

  for (const { name, file } of bundles) {
    const loads = Array.from({ length: 5 }, () => {
      const script = `const t=process.hrtime.bigint();require(${JSON.stringify(path.resolve(file))});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
      const env = { ...process.env, TABLE_NAME: 'T', TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:T', QUEUE_URL: 'http://q', DLQ_URL: 'http://d' };
      return Number(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }).trim());
    });
    record(`bundle ${name}: size and cold module load`, { size: `${(statSync(file).size / 1024).toFixed(0)} KiB`, 'load p50': `${percentile(loads, 50).toFixed(0)} ms`, n: loads.length });
  }

  mkdirSync('reports', { recursive: true });
  const out = path.join('reports', 'bench.json');
  writeFileSync(out, `${JSON.stringify({ machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version }, at: new Date().toISOString(), results }, null, 2)}\n`);
  console.log(`\nWritten to ${out}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
