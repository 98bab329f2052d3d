/**
 * Randomized chaos: a schedule of phases, each switching DynamoDB, SNS and SQS faults (whole
 * services, single operations, partial probabilities, and the error codes DynamoDB uses to blame
 * a request) and latency (up to beyond the per-attempt timeout), while concurrent writers update
 * overlapping products, now and then with a burst of writers beyond the product function's
 * concurrency limit. Before the writers start, the schedule may switch the retry function's event
 * source mapping (chaos/api/mapping-kinds.ts) and plant items stamped far in the future. Once
 * the last fault clears, the invariants of the design (chaos/api/chaos-invariants.ts) must hold.
 * Used by the randomized test (short) and `npm run soak` (long).
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, GetQueueUrlCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { setTimeout as sleep } from 'node:timers/promises';
import { deadLetterQueues, names, offline, timing, tutorialFault } from '#spec';
import { ChaosClient, type FaultRule } from './chaos-client';
import { checkLoggedWrites, checkTable, classifyAnswer, type CheckTally, type SentWrite } from './chaos-invariants';
import { unwrapSnsEnvelope } from './redrive';
import { type MappingKind, mappingKinds, useRetryMapping } from './mapping-kinds';
import { type StoredValue, AppClient } from '../../shared/app-client/app-client';

export interface SchedulePhase {
  faults: FaultRule[];
  latencyMs: number;
  writesPerWriter: number;
  /** Also send one write each from this many more writers at once, to products of their own: beyond the product function's concurrency limit. */
  burst: boolean;
}

/** DynamoDB's error codes that blame the request; injected on a valid write, none may lose it or blame the client. */
export const blamingCodes = [
  'ConditionalCheckFailedException',
  'ValidationException',
  'SerializationException',
  'ItemCollectionSizeLimitExceededException',
] as const;

/** Faults the schedule draws from: every service on the write path, whole or in part, and every error code of issue 10. */
export const faultPool: FaultRule[] = [
  { service: 'dynamodb' },
  { service: tutorialFault.service, operation: 'PutItem', error: tutorialFault.error },
  { service: 'dynamodb', probability: 0.5 },
  { service: 'dynamodb', operation: 'PutItem', error: { statusCode: 400, code: 'ThrottlingException' } },
  ...blamingCodes.flatMap((code): FaultRule[] => [
    { service: 'dynamodb', operation: 'PutItem', error: { statusCode: 400, code } },
    { service: 'dynamodb', operation: 'PutItem', probability: 0.5, error: { statusCode: 400, code } },
    { service: 'dynamodb', operation: 'GetItem', error: { statusCode: 400, code } },
  ]),
  { service: 'sns', operation: 'Publish', probability: 0.5 },
  { service: 'sns' },
  { service: 'sqs', operation: 'SendMessage' },
  { service: 'sqs', operation: 'SendMessage', probability: 0.5, error: { statusCode: 500, code: 'InternalError' } },
  { service: 'sqs', operation: 'ReceiveMessage' },
  { service: 'sqs', operation: 'DeleteMessageBatch' },
  { service: 'sqs', operation: 'DeleteMessageBatch', probability: 0.5 },
  { service: 'sqs', probability: 0.3 },
];

/** Latency beyond the per-attempt timeout: every attempt times out, and the calls still complete later. */
export const beyondTimeoutMs = timing.requestTimeoutMs + 1_000;

/**
 * Stamps far beyond now + the retry guards' clock-skew bound, as a bad clock or an import writes
 * them: by the ordering rule's policy such a stamp is not newer than a real write.
 */
export const plantedStamps = {
  /** A writer whose clock runs a day ahead. */
  'day-ahead': (now: number) => now + 86_400_000,
  /** An import that wrote microseconds where milliseconds belong. */
  microseconds: (now: number) => now * 1_000,
} as const;

/** An item put straight into the table (PutItem, bypassing the API) before the writers start. */
export interface Plant {
  /** Which shared product (`<runId>-<product>`, as the writers name them); one no writer reaches must keep the item. */
  product: number;
  stamp: keyof typeof plantedStamps;
}

export interface Schedule {
  /** The retry function's event source mapping for this schedule. */
  mapping: MappingKind;
  planted: Plant[];
  phases: SchedulePhase[];
}

export interface ScheduleShape {
  maxPhases: number;
  maxWritesPerWriter: number;
  /**
   * Include, rarely, a phase with latency beyond the per-attempt timeout (each write then takes
   * about 20 s, so such a phase sends one write per writer): for the soak, too slow for the test.
   */
  beyondTimeout?: boolean;
  /** The mappings to draw from (default: the stack's only). */
  mappings?: readonly MappingKind[];
  /** In about half the schedules, plant 1 to 3 items among the first `plantAmong` shared products (default 0: never). */
  plantAmong?: number;
}

const latencyArbitrary = (beyondTimeout: boolean): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 40, arbitrary: fc.constantFrom(0, 0, 50, 300) },
    { weight: 4, arbitrary: fc.constant(1_500) },
    // About one phase in 15: each costs ~30 s (every write waits out the product function's budget).
    ...(beyondTimeout ? [{ weight: 3, arbitrary: fc.constant(beyondTimeoutMs) }] : []),
  );

export const phaseArbitrary = (maxWrites: number, beyondTimeout = false): fc.Arbitrary<SchedulePhase> =>
  fc.record({
    faults: fc.subarray(faultPool, { maxLength: 3 }),
    latencyMs: latencyArbitrary(beyondTimeout),
    writesPerWriter: fc.integer({ min: 1, max: maxWrites }),
    burst: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  });

const plantsArbitrary = (among: number): fc.Arbitrary<Plant[]> =>
  among === 0
    ? fc.constant<Plant[]>([])
    : fc.oneof(
        fc.constant<Plant[]>([]),
        fc.uniqueArray(
          fc.record({
            product: fc.nat({ max: among - 1 }),
            stamp: fc.constantFrom(...(Object.keys(plantedStamps) as Array<keyof typeof plantedStamps>)),
          }),
          { minLength: 1, maxLength: 3, selector: (plant) => plant.product },
        ),
      );

export const scheduleArbitrary = ({
  maxPhases,
  maxWritesPerWriter,
  beyondTimeout = false,
  mappings = [mappingKinds[0]],
  plantAmong = 0,
}: ScheduleShape): fc.Arbitrary<Schedule> =>
  fc.record({
    mapping: fc.constantFrom(...mappings),
    planted: plantsArbitrary(plantAmong),
    phases: fc.array(phaseArbitrary(maxWritesPerWriter, beyondTimeout), { minLength: 1, maxLength: maxPhases }),
  });

export interface ScheduleOptions {
  endpoint: string;
  writers: number;
  ids: number;
  /** Writers in a burst phase, each with one write to a product of its own (default: the concurrency limit + 4). */
  burstWriters?: number;
  /** The runtime's log lines so far: what it logged as accepted is checked too. */
  logs: () => string[];
  settleTimeoutMs: number;
  /** Send at most this many writes: the schedule stops early once they are sent. */
  maxWrites?: number;
  /** Called as each write is answered (status 0: no answer), for progress reports. */
  onWrite?: (status: number) => void;
}

export interface ScheduleOutcome {
  runId: string;
  writes: SentWrite[];
  violations: string[];
  tally: CheckTally;
  settledMs: number;
  staleDropped: number;
}

let runCounter = 0;

/** Takes this run's messages out of every DLQ (deleted, so the next schedule starts clean) and leaves the others. */
async function takeDeadLetters(target: AppClient, runId: string): Promise<Array<{ id: string; reason: string }>> {
  const found: Array<{ id: string; reason: string }> = [];
  for (const name of deadLetterQueues) {
    const url = (await target.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '';
    const others: Message[] = [];
    for (let empty = 0; empty < 2;) {
      const { Messages = [] } = await target.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 30, MessageAttributeNames: ['All'] }),
      );
      if (Messages.length === 0) {
        empty += 1;
        continue;
      }
      empty = 0;
      const mine: Message[] = [];
      for (const message of Messages) {
        const body = unwrapSnsEnvelope(message.Body ?? '').body;
        const id = /"id":"([^"]+)"/.exec(body)?.[1];
        if (id?.startsWith(`${runId}-`)) {
          mine.push(message);
          found.push({ id, reason: message.MessageAttributes?.reason?.StringValue ?? 'no reason attribute' });
        } else others.push(message);
      }
      if (mine.length > 0)
        await target.sqs.send(
          new DeleteMessageBatchCommand({ QueueUrl: url, Entries: mine.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })) }),
        );
    }
    for (let i = 0; i < others.length; i += 10) {
      const batch = others.slice(i, i + 10);
      await target.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: batch.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle ?? '', VisibilityTimeout: 0 })),
        }),
      );
    }
  }
  return found;
}

/** Puts the schedule's planted items into the table as an import would: PutItem with the test user's credentials, no API, no condition. */
async function plant(target: AppClient, runId: string, plants: Plant[]): Promise<Map<string, StoredValue>> {
  const planted = new Map<string, StoredValue>();
  for (const { product, stamp } of plants) {
    const id = `${runId}-${product}`;
    const item = { name: `planted-${stamp}`, updatedAt: plantedStamps[stamp](Date.now()) };
    await target.dynamo.send(
      new PutItemCommand({
        TableName: names.table,
        Item: { id: { S: id }, name: { S: item.name }, price: { N: '1' }, description: { S: 'planted' }, updatedAt: { N: String(item.updatedAt) } },
      }),
    );
    planted.set(id, item);
  }
  return planted;
}

/**
 * How long the queue and SNS's held deliveries stay empty before the table is judged, caught up
 * or not: nothing left on its way can change it, and a lost write need not wait out the settle timeout.
 */
const QUIET_MS = 5_000;

export async function runSchedule(schedule: Schedule, options: ScheduleOptions): Promise<ScheduleOutcome> {
  const runId = `r${process.pid}-${(runCounter += 1)}`;
  const target = new AppClient(options.endpoint);
  const { endpoint, apiUrl } = target;
  const chaos = new ChaosClient(endpoint);
  const logsBefore = options.logs().length;
  const writes: SentWrite[] = [];
  const violations: string[] = [];
  let wrongReads = 0;
  // Writes to one product go one after another (so the client knows which is newest); products in parallel.
  const lanes = new Map<string, Promise<void>>();
  const sentTo = new Map<string, SentWrite[]>();
  const budget = options.maxWrites ?? Number.POSITIVE_INFINITY;
  const burstWriters = options.burstWriters ?? offline.productConcurrency + 4;
  let sent = 0;

  const write = (id: string, name: string) => {
    const previous = lanes.get(id) ?? Promise.resolve();
    const next = previous.then(async () => {
      // Longer than API Gateway's 29 s: a missing answer is the runtime's fault, not the client's.
      const { status, body } = await target.post({ id, name, price: 1, description: runId }, AbortSignal.timeout(35_000));
      const record: SentWrite = { id, name, status, answer: classifyAnswer(status, body) };
      writes.push(record);
      sentTo.set(id, [...(sentTo.get(id) ?? []), record]);
      options.onWrite?.(status);
    });
    lanes.set(id, next);
    return next;
  };

  // A read now and then: GetItem faults must give a 503, never a 500.
  const read = async (id: string) => {
    try {
      const response = await fetch(`${apiUrl}?id=${encodeURIComponent(id)}`, { signal: AbortSignal.timeout(35_000) });
      const body = await response.text();
      const throttled = response.status === 500 && body.includes('TooManyRequestsException');
      if (![200, 404, 503].includes(response.status) && !throttled) {
        wrongReads += 1;
        violations.push(`GET ${id} answered ${response.status}: ${body.slice(0, 200)}`);
      }
    } catch (error) {
      wrongReads += 1;
      violations.push(`GET ${id} got no answer (${(error as Error).message})`);
    }
  };

  await useRetryMapping(endpoint, schedule.mapping);
  const planted = await plant(target, runId, schedule.planted);
  try {
    for (const [p, phase] of schedule.phases.entries()) {
      if (sent >= budget) break;
      await chaos.setFaults(phase.faults);
      await chaos.setLatency(phase.latencyMs);
      // Beyond the per-attempt timeout each write takes about the product function's whole timeout.
      const perWriter = phase.latencyMs > timing.requestTimeoutMs ? 1 : phase.writesPerWriter;
      const burst = phase.burst
        ? Array.from({ length: burstWriters }, async (_, b) => {
            if (sent >= budget) return;
            sent += 1;
            await write(`${runId}-b${p}-${b}`, `b${b}-p${p}`);
          })
        : [];
      await Promise.all([
        ...burst,
        ...Array.from({ length: options.writers }, async (_, w) => {
          let last: string | undefined;
          for (let i = 0; i < perWriter && sent < budget; i += 1) {
            sent += 1;
            last = `${runId}-${(w + i) % options.ids}`;
            await write(last, `w${w}-p${p}-i${i}`);
          }
          if (last && w === 0) await read(last);
        }),
      ]);
    }
  } finally {
    await chaos.setFaults([]);
    await chaos.setLatency(0);
  }

  // A call slowed by latency is still on its way after its caller gave up: let it land before judging.
  const slowest = Math.max(0, ...schedule.phases.map((phase) => phase.latencyMs));
  if (slowest > 1_000) await sleep(slowest + 500);

  // The newest accepted write per product: what the table must come to hold.
  const lastAccepted = new Map<string, string>();
  for (const [id, lane] of sentTo) {
    const accepted = lane.filter((w) => w.answer === 'accepted').at(-1);
    if (accepted) lastAccepted.set(id, accepted.name);
  }

  // Settle: wait for the queue, the DLQs and held deliveries to empty and the table to catch up (or stay behind).
  const started = Date.now();
  const depth = (name: string) => target.queueDepth(name);
  const deadDepth = async () => (await Promise.all(deadLetterQueues.map(depth))).reduce((a, b) => a + b, 0);
  const table = () => target.products(`${runId}-`);
  const pending = async () => ((await (await fetch(`${endpoint}/_localstack/health`)).json()) as { pendingDeliveries?: number }).pendingDeliveries ?? 0;

  let items: Map<string, StoredValue>;
  let quietSince: number | undefined;
  for (;;) {
    const [queued, dead, held] = await Promise.all([depth(names.queue), deadDepth(), pending()]);
    items = await table();
    const caughtUp = [...lastAccepted].every(([id, name]) => {
      const lane = sentTo.get(id) ?? [];
      const heldName = items.get(id)?.name;
      // Caught up when the table holds the newest accepted write or a later one (an unknown that landed).
      return heldName !== undefined && lane.findIndex((w) => w.name === heldName) >= lane.findIndex((w) => w.name === name);
    });
    // A write on the retry path is in the queue until the poller deletes it, or an SNS delivery until then.
    const idle = queued === 0 && held === 0;
    quietSince = idle ? (quietSince ?? Date.now()) : undefined;
    const quiet = quietSince !== undefined && Date.now() - quietSince >= QUIET_MS;
    if ((idle && caughtUp) || quiet || dead > 0 || Date.now() - started > options.settleTimeoutMs) break;
    await sleep(200);
  }
  const settledMs = Date.now() - started;
  // Log lines arrive asynchronously from the workers; give the last ones a moment.
  await sleep(300);

  const held = checkTable(sentTo, items, planted);
  violations.push(...held.violations);
  const [queued, deadLetters] = await Promise.all([depth(names.queue), takeDeadLetters(target, runId)]);
  if (queued !== 0) violations.push(`the queue still holds ${queued} message(s) after ${settledMs} ms`);
  if (deadLetters.length > 0) {
    violations.push(
      `the DLQ holds ${deadLetters.length} valid write(s) of this run: ${deadLetters
        .slice(0, 5)
        .map((d) => `${d.id} (${d.reason})`)
        .join('; ')}`,
    );
  }

  const logged = checkLoggedWrites(options.logs().slice(logsBefore), runId, items, writes.filter((w) => w.answer === 'accepted').length);
  violations.push(...logged.violations);
  const staleDropped = logged.staleDropped;
  target.sqs.destroy();
  target.dynamo.destroy();
  const tally: CheckTally = { ...held.tally, deadLettered: deadLetters.length, wrongReads };
  return { runId, writes, violations, tally, settledMs, staleDropped };
}
