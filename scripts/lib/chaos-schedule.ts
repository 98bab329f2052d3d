/**
 * Randomized chaos: a schedule of phases, each switching DynamoDB, SNS and SQS faults (whole
 * services, single operations, partial probabilities) and latency, while concurrent writers
 * update overlapping products. Once the last fault clears, the invariants of the design must hold.
 * Used by the randomized test (short) and `npm run soak` (long).
 */
import fc from 'fast-check';
import { setTimeout as sleep } from 'node:timers/promises';
import { names } from '../../infra/spec';
import { ChaosClient, type FaultRule } from './chaos-client';
import { type StoredValue, Target } from './target';

export interface Phase {
  faults: FaultRule[];
  latencyMs: number;
  writesPerWriter: number;
}

/** Faults the schedule draws from: every service on the write path, whole or in part. */
export const faultPool: FaultRule[] = [
  { service: 'dynamodb' },
  { service: 'dynamodb', operation: 'PutItem', error: { statusCode: 500, code: 'SomethingWentWrong' } },
  { service: 'dynamodb', probability: 0.5 },
  { service: 'dynamodb', operation: 'PutItem', error: { statusCode: 400, code: 'ThrottlingException' } },
  { service: 'sns', operation: 'Publish', probability: 0.5 },
  { service: 'sns' },
  { service: 'sqs', operation: 'SendMessage' },
  { service: 'sqs', operation: 'ReceiveMessage' },
  { service: 'sqs', operation: 'DeleteMessageBatch', probability: 0.5 },
  { service: 'sqs', probability: 0.3 },
];

export const phaseArbitrary = (maxWrites: number): fc.Arbitrary<Phase> =>
  fc.record({
    faults: fc.subarray(faultPool, { maxLength: 3 }),
    latencyMs: fc.constantFrom(0, 0, 50, 300),
    writesPerWriter: fc.integer({ min: 1, max: maxWrites }),
  });

export const scheduleArbitrary = (maxPhases: number, maxWrites: number) => fc.array(phaseArbitrary(maxWrites), { minLength: 1, maxLength: maxPhases });

export interface ScheduleOptions {
  endpoint: string;
  writers: number;
  ids: number;
  /** The runtime's log lines so far: what it logged as accepted is checked too. */
  logs: () => string[];
  settleTimeoutMs: number;
  /** Send at most this many writes: the schedule stops early once they are sent. */
  maxWrites?: number;
  /** Called as each write is answered (status 0: no answer), for progress reports. */
  onWrite?: (status: number) => void;
}

interface WriteRecord {
  id: string;
  name: string;
  status: number;
}

export interface Outcome {
  runId: string;
  writes: WriteRecord[];
  violations: string[];
  settledMs: number;
  staleDropped: number;
}

let runCounter = 0;

export async function runSchedule(schedule: Phase[], options: ScheduleOptions): Promise<Outcome> {
  const runId = `r${process.pid}-${(runCounter += 1)}`;
  const target = new Target(options.endpoint);
  const { endpoint, apiUrl } = target;
  const chaos = new ChaosClient(endpoint);
  const logsBefore = options.logs().length;
  const writes: WriteRecord[] = [];
  // Writes to one product go one after another (so the client knows which is newest); products in parallel.
  const lanes = new Map<string, Promise<void>>();
  const lastAccepted = new Map<string, string>();
  const budget = options.maxWrites ?? Number.POSITIVE_INFINITY;
  let sent = 0;

  const write = (id: string, name: string) => {
    const previous = lanes.get(id) ?? Promise.resolve();
    const next = previous.then(async () => {
      let status = 0;
      try {
        const response = await fetch(apiUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ id, name, price: 1, description: runId }),
          signal: AbortSignal.timeout(35_000),
        });
        status = response.status;
        await response.text();
      } catch {
        status = 0;
      }
      writes.push({ id, name, status });
      options.onWrite?.(status);
      if (status === 200 || status === 202) lastAccepted.set(id, name);
    });
    lanes.set(id, next);
    return next;
  };

  try {
    for (const [p, phase] of schedule.entries()) {
      if (sent >= budget) break;
      await chaos.setFaults(phase.faults);
      await chaos.setLatency(phase.latencyMs);
      await Promise.all(
        Array.from({ length: options.writers }, async (_, w) => {
          for (let i = 0; i < phase.writesPerWriter && sent < budget; i += 1) {
            sent += 1;
            await write(`${runId}-${(w + i) % options.ids}`, `w${w}-p${p}-i${i}`);
          }
        }),
      );
    }
  } finally {
    await chaos.setFaults([]);
    await chaos.setLatency(0);
  }

  // Settle: wait for the queue, the DLQ and held deliveries to empty and the table to catch up.
  const started = Date.now();
  const depth = (name: string) => target.queueDepth(name);
  const table = () => target.products(`${runId}-`);
  const pending = async () => ((await (await fetch(`${endpoint}/_localstack/health`)).json()) as { pendingDeliveries?: number }).pendingDeliveries ?? 0;

  let items: Map<string, StoredValue>;
  for (;;) {
    const [queued, dead, held] = await Promise.all([depth(names.queue), depth(names.deadLetterQueue), pending()]);
    items = await table();
    const caughtUp = [...lastAccepted].every(([id, name]) => items.get(id)?.name === name);
    if ((queued === 0 && held === 0 && caughtUp) || dead > 0 || Date.now() - started > options.settleTimeoutMs) break;
    await sleep(200);
  }
  const settledMs = Date.now() - started;
  // Log lines arrive asynchronously from the workers; give the last ones a moment.
  await sleep(300);

  const violations: string[] = [];
  for (const [id, name] of lastAccepted) {
    const held = items.get(id)?.name;
    if (held !== name) violations.push(`${id}: the newest accepted write is "${name}", the table holds ${held === undefined ? 'nothing' : `"${held}"`}`);
  }
  const rejectedNames = new Set(writes.filter((w) => w.status !== 200 && w.status !== 202).map((w) => `${w.id}/${w.name}`));
  for (const [id, item] of items) {
    if (rejectedNames.has(`${id}/${item.name}`)) violations.push(`${id}: holds "${item.name}", a write the API rejected`);
  }
  const badAnswers = writes.filter((w) => w.status !== 200 && w.status !== 202 && w.status !== 503);
  if (badAnswers.length > 0) violations.push(`valid writes answered other than 200, 202 or 503: ${[...new Set(badAnswers.map((w) => w.status || 'no answer'))].join(', ')}`);
  const [queued, dead] = await Promise.all([depth(names.queue), depth(names.deadLetterQueue)]);
  if (queued !== 0) violations.push(`the queue still holds ${queued} message(s) after ${settledMs} ms`);
  if (dead !== 0) violations.push(`the DLQ holds ${dead} message(s)`);

  const logs = options.logs().slice(logsBefore);
  for (const line of logs) {
    const accepted = /"message":"(Product stored|Product write queued)".*"productId":"([^"]+)","updatedAt":(\d+)/.exec(line);
    if (!accepted?.[2]?.startsWith(`${runId}-`)) continue;
    const item = items.get(accepted[2]);
    if (!item || item.updatedAt < Number(accepted[3])) violations.push(`${accepted[2]}: the runtime logged "${accepted[1]}" at ${accepted[3]}, the table holds ${item ? item.updatedAt : 'nothing'}`);
  }
  const staleDropped = logs.filter((line) => line.includes('Queued write is stale') && line.includes(`${runId}-`)).length;
  return { runId, writes, violations, settledMs, staleDropped };
}
