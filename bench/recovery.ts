/**
 * The outage figures of `npm run bench` (section app): time to consistency when a held queue is
 * released at once, and recovery after a real outage on the deployed timings, with what the retry
 * path cost while it lasted. Each on an offline runtime of its own, in this process.
 */
import { BatchGetItemCommand } from '@aws-sdk/client-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { names, offline, timing } from '#spec';
import { startRuntime, type Runtime } from '../offline/runtime/compose';
import { ChaosClient, type FaultRule } from '../chaos/api/chaos-client';
import { AppClient } from '../shared/app-client/app-client';
import type { Figure } from './figures';

/** One figure, as the bench records it (figures.ts). */

/**
 * Recovery after an outage (issue 10, finding 12): DynamoDB down for `outageSeconds` with
 * `recoveryWrites` writes queued at its start, on the deployed timings (backoff, breaker, polling,
 * visibility); recovery is the time from the end of the outage to the last queued write in the
 * table. The scaled one lowers maxReceiveCount so the retry Lambda's re-queue near the redrive
 * threshold, which an outage reaches every ~33 minutes at the deployed settings, is exercised
 * (the retry Lambda re-queues from a window of receives below the threshold, so maxReceiveCount
 * stays above that window).
 */
export const recoveryOutages = [
  { label: '10 s outage', outageSeconds: 10 },
  { label: '3 min outage', outageSeconds: 180, skippedByQuick: true },
  { label: '45 s outage, maxReceiveCount 20 (re-queued as every ~33 min of a real one)', outageSeconds: 45, maxReceiveCount: 20 },
] as const;
export const recoveryWrites = 20;
/** The design's promise: every queued write in the table within this many seconds of the outage's end. */
export const recoveryTargetSeconds = 10;
const consistencyName = (count: number) => `time to consistency, ${count} queued writes`;
const drainRateName = (count: number) => `drain rate, ${count} queued writes`;

const round = (value: number) => Math.round(value * 100) / 100;

/** The product API and the Chaos API of a runtime, as the figures drive them. */
export function api(runtime: Runtime) {
  const target = new AppClient(runtime.url);
  const chaos = new ChaosClient(runtime.url);
  return {
    dynamo: target.dynamo,
    post: async (id: string) => (await target.post({ id, name: 'Bench', price: 1, description: 'b' })).status,
    get: async (id: string) => {
      const response = await fetch(`${target.apiUrl}?id=${id}`);
      await response.text();
      return response.status;
    },
    faults: (rules: FaultRule[]) => chaos.setFaults(rules),
    latency: (ms: number) => chaos.setLatency(ms),
  };
}

/** Time to consistency and drain rate: `count` writes queued while nothing is received, then released at once. */
export async function consistency(runtime: Runtime, count: number): Promise<Figure[]> {
  const { post, faults, dynamo } = api(runtime);
  // Queue the writes while nothing is received, so the drain starts the moment the outage ends.
  await faults([{ service: 'dynamodb' }, { service: 'sqs', operation: 'ReceiveMessage' }]);
  await sleep(1_500);
  const ids = Array.from({ length: count }, (_, i) => `drain-${count}-${i}`);
  // No more at once than the product function's concurrency limit: beyond it Lambda throttles.
  for (let i = 0; i < ids.length; i += offline.productConcurrency) {
    const statuses = await Promise.all(ids.slice(i, i + offline.productConcurrency).map((id) => post(id)));
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
  return [
    { name: consistencyName(count), unit: 's', value: round(seconds) },
    { name: drainRateName(count), unit: 'items/s', value: Math.round(count / seconds) },
  ];
}

interface RecoveryOutage {
  label: string;
  outageSeconds: number;
  maxReceiveCount?: number;
}

/** One outage on a runtime of its own with the deployed timings (maxReceiveCount aside): see recoveryOutages. */
export async function recovery(outage: RecoveryOutage): Promise<Figure[]> {
  const lines: string[] = [];
  const at: number[] = [];
  const runtime = await startRuntime({
    port: 0,
    log: (line) => {
      lines.push(line);
      at.push(performance.now());
    },
    build: false,
    ...(outage.maxReceiveCount === undefined ? {} : { timings: { maxReceiveCount: outage.maxReceiveCount } }),
  });
  try {
    const { post, faults, dynamo } = api(runtime);
    const target = new AppClient(runtime.url);
    const key = outage.label.replace(/\W+/g, '-');
    // Every product environment warm first, so the writes below measure queueing, not cold starts.
    const warm = await Promise.all(Array.from({ length: offline.productConcurrency }, (_, i) => post(`recovery-${key}-warm-${i}`)));
    if (warm.some((s) => s !== 200)) throw new Error(`${outage.label}: the product API did not store the writes before the outage: ${warm.join(',')}`);
    await faults([{ service: 'dynamodb' }]);
    const began = performance.now();
    const ids = Array.from({ length: recoveryWrites }, (_, i) => `recovery-${key}-${i}`);
    const statuses: number[] = [];
    for (let i = 0; i < ids.length; i += offline.productConcurrency)
      statuses.push(...(await Promise.all(ids.slice(i, i + offline.productConcurrency).map((id) => post(id)))));
    if (statuses.some((s) => s !== 202)) {
      const why = lines.filter((line) => /error|Error|timed out|throttl/.test(line)).slice(-8);
      throw new Error(`${outage.label}: expected 202s while DynamoDB is down, got ${statuses.join(',')}\n${why.join('\n')}`);
    }
    // What the retry path does while the outage lasts, once every write is queued.
    const from = lines.length;
    const queuedAt = performance.now();
    await sleep(Math.max(0, outage.outageSeconds * 1000 - (queuedAt - began)));
    const during = lines.slice(from);
    const minutes = (performance.now() - queuedAt) / 60_000;
    // Once each retry environment's breaker has opened (a few failed calls), DynamoDB sees one probe per cooldown.
    const steadyFrom = queuedAt + timing.breakerCooldownMs;
    const steady = lines.filter((line, i) => (at[i] ?? 0) >= steadyFrom && i >= from && /AWS dynamodb\.\w+ => /.test(line)).length;
    const steadyMinutes = (performance.now() - steadyFrom) / 60_000;
    await faults([]);
    const ended = performance.now();
    const count = (pattern: RegExp) => during.filter((line) => pattern.test(line)).length;
    const missing = new Set(ids);
    while (missing.size > 0) {
      const answer = await dynamo.send(
        new BatchGetItemCommand({ RequestItems: { [names.table]: { Keys: [...missing].map((id) => ({ id: { S: id } })), ConsistentRead: true } } }),
      );
      for (const item of answer.Responses?.[names.table] ?? []) missing.delete(item.id?.S ?? '');
      if (performance.now() - ended > 180_000) throw new Error(`${outage.label}: ${missing.size} queued writes still missing 3 minutes after the outage`);
      if (missing.size > 0) await sleep(100);
    }
    const seconds = (performance.now() - ended) / 1000;
    const dead = await target.queueDepth(names.deadLetterQueue);
    if (dead > 0) throw new Error(`${outage.label}: ${dead} message(s) dead-lettered`);
    const sqsCalls = count(/AWS sqs\.(ReceiveMessage|ChangeMessageVisibility|SendMessage|DeleteMessage)\w* => /);
    const perWriteMinute = (n: number) => round(n / recoveryWrites / minutes);
    const name = (what: string) => `recovery after a ${outage.label}: ${what}`;
    return [
      { name: name('end of outage to last queued write in the table'), unit: 's', value: round(seconds), n: recoveryWrites },
      { name: name('DynamoDB calls during the outage'), unit: 'calls', value: count(/AWS dynamodb\.\w+ => /) },
      { name: name('DynamoDB calls per minute once the breakers are open'), unit: 'calls/min', value: round(steady / steadyMinutes) },
      { name: name('SQS calls per queued write per minute'), unit: 'calls/write/min', value: perWriteMinute(sqsCalls) },
      {
        name: name('retry Lambda invocations per queued write per minute'),
        unit: 'invocations/write/min',
        value: perWriteMinute(count(new RegExp(`\\[${names.retryFunction}\\] START RequestId`))),
      },
      { name: name('writes re-queued near the redrive threshold'), unit: 'messages', value: count(/Write re-queued/) },
    ];
  } finally {
    await runtime.stop();
  }
}
