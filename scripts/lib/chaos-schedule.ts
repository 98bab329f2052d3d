/**
 * Randomized chaos: a schedule of phases, each switching DynamoDB, SNS and SQS faults (whole
 * services, single operations, partial probabilities, and the error codes DynamoDB uses to blame
 * a request) and latency (up to beyond the per-attempt timeout), while concurrent writers update
 * overlapping products, now and then with a burst of writers beyond the product function's
 * concurrency limit. Once the last fault clears, the invariants of the design must hold.
 * Used by the randomized test (short) and `npm run soak` (long).
 *
 * Every answer to a write is one of:
 * - accepted: 200 or 202. It must end in the table unless a later write to the product supersedes it.
 * - refused: a 503 whose message is NOT_SAVED_MESSAGE, or Lambda's throttling answer (API
 *   Gateway's 500 for a 429 TooManyRequestsException, or a 429). It must never appear.
 * - unknown: a 503 whose message is OUTCOME_UNKNOWN_MESSAGE. It may appear, but only in order: the
 *   table may hold it only if no accepted write was sent after it.
 * Anything else (another status, another 503, no answer) breaks the invariants by itself.
 */
import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, GetQueueUrlCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { setTimeout as sleep } from 'node:timers/promises';
import { deadLetterQueues, names, offline, timing, tutorialFault } from '#spec';
import { logMessages } from '../../lambdas/log-messages';
import { NOT_SAVED_MESSAGE, OUTCOME_UNKNOWN_MESSAGE } from '../../lambdas/product/http';
import { ChaosClient, type FaultRule } from './chaos-client';
import { unwrapSnsEnvelope } from './redrive';
import { type StoredValue, Target } from './target';

export interface Phase {
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

export interface ScheduleShape {
  maxPhases: number;
  maxWritesPerWriter: number;
  /**
   * Include, rarely, a phase with latency beyond the per-attempt timeout (each write then takes
   * about 20 s, so such a phase sends one write per writer): for the soak, too slow for the test.
   */
  beyondTimeout?: boolean;
}

const latencyArbitrary = (beyondTimeout: boolean): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 40, arbitrary: fc.constantFrom(0, 0, 50, 300) },
    { weight: 4, arbitrary: fc.constant(1_500) },
    // About one phase in 15: each costs ~30 s (every write waits out the product function's budget).
    ...(beyondTimeout ? [{ weight: 3, arbitrary: fc.constant(beyondTimeoutMs) }] : []),
  );

export const phaseArbitrary = (maxWrites: number, beyondTimeout = false): fc.Arbitrary<Phase> =>
  fc.record({
    faults: fc.subarray(faultPool, { maxLength: 3 }),
    latencyMs: latencyArbitrary(beyondTimeout),
    writesPerWriter: fc.integer({ min: 1, max: maxWrites }),
    burst: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  });

export const scheduleArbitrary = ({ maxPhases, maxWritesPerWriter, beyondTimeout = false }: ScheduleShape) =>
  fc.array(phaseArbitrary(maxWritesPerWriter, beyondTimeout), { minLength: 1, maxLength: maxPhases });

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

export type Answer = 'accepted' | 'refused' | 'unknown' | 'wrong';

export interface WriteRecord {
  id: string;
  name: string;
  status: number;
  answer: Answer;
}

/** What a schedule's check found, counted (the violations say it in words). */
export interface Tally {
  /** Accepted products whose newest accepted write is not in the table, and no newer write either. */
  lost: number;
  /** Products holding an older write than their newest accepted one. */
  stale: number;
  /** Products holding a refused write. */
  refusedStored: number;
  /** Unknown answers whose write is what the table holds (allowed: it was newest). */
  unknownLanded: number;
  /** Valid writes of this run found in a DLQ. */
  deadLettered: number;
  /** Writes answered neither accepted, refused nor unknown (a 504, a 502, another 503, no answer). */
  wrongAnswers: number;
  /** Reads answered other than 200, 404 or 503. */
  wrongReads: number;
}

export interface Outcome {
  runId: string;
  writes: WriteRecord[];
  violations: string[];
  tally: Tally;
  settledMs: number;
  staleDropped: number;
}

/** What an answer to a write means, from its status and body. */
export function classifyAnswer(status: number, body: string): Answer {
  if (status === 200 || status === 202) return 'accepted';
  if (status === 429) return 'refused';
  let message: unknown;
  let reason: unknown;
  try {
    ({ message, reason } = JSON.parse(body) as { message?: unknown; reason?: unknown });
  } catch {
    message = body;
  }
  if (status === 503 && message === NOT_SAVED_MESSAGE) return 'refused';
  if (status === 503 && message === OUTCOME_UNKNOWN_MESSAGE) return 'unknown';
  // API Gateway's answer when Lambda throttles the function: 500 "Internal server error" (the runtime says why in `reason`).
  if (status === 500 && message === 'Internal server error' && typeof reason === 'string' && reason.includes('TooManyRequestsException')) return 'refused';
  return 'wrong';
}

/** The functions' JSON log lines (Powertools Logger), each after the runtime's `[FunctionName] ` prefix; other lines are skipped. */
export function logEntries(lines: string[]): Array<Record<string, unknown>> {
  return lines.flatMap((line) => {
    const start = line.indexOf('{');
    if (start < 0) return [];
    try {
      const entry: unknown = JSON.parse(line.slice(start));
      return entry && typeof entry === 'object' ? [entry as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

/**
 * What the functions logged for this run, against what the table holds: a write logged as stored
 * or queued must be held, or a newer one. Accepted writes with no such line are a violation too,
 * so a renamed message or key cannot leave nothing to check.
 */
export function checkLoggedWrites(
  lines: string[],
  runId: string,
  items: Map<string, StoredValue>,
  acceptedWrites: number,
): { violations: string[]; staleDropped: number } {
  const mine = logEntries(lines).filter((entry) => typeof entry.productId === 'string' && entry.productId.startsWith(`${runId}-`));
  const accepted = mine.filter((entry) => entry.message === logMessages.stored || entry.message === logMessages.queued);
  const violations: string[] = [];
  for (const { message, productId, updatedAt } of accepted) {
    const item = items.get(productId as string);
    if (!item || typeof updatedAt !== 'number' || item.updatedAt < updatedAt)
      violations.push(
        `${String(productId)}: the runtime logged "${String(message)}" at ${String(updatedAt)}, the table holds ${item ? item.updatedAt : 'nothing'}`,
      );
  }
  if (acceptedWrites > 0 && accepted.length === 0) {
    violations.push(
      `${acceptedWrites} write(s) were accepted, but no log line of this run says "${logMessages.stored}" or "${logMessages.queued}" with a productId and updatedAt`,
    );
  }
  return { violations, staleDropped: mine.filter((entry) => entry.message === logMessages.stale).length };
}

let runCounter = 0;

/** Takes this run's messages out of every DLQ (deleted, so the next schedule starts clean) and leaves the others. */
async function takeDeadLetters(target: Target, runId: string): Promise<Array<{ id: string; reason: string }>> {
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

export async function runSchedule(schedule: Phase[], options: ScheduleOptions): Promise<Outcome> {
  const runId = `r${process.pid}-${(runCounter += 1)}`;
  const target = new Target(options.endpoint);
  const { endpoint, apiUrl } = target;
  const chaos = new ChaosClient(endpoint);
  const logsBefore = options.logs().length;
  const writes: WriteRecord[] = [];
  const violations: string[] = [];
  const tally: Tally = { lost: 0, stale: 0, refusedStored: 0, unknownLanded: 0, deadLettered: 0, wrongAnswers: 0, wrongReads: 0 };
  // Writes to one product go one after another (so the client knows which is newest); products in parallel.
  const lanes = new Map<string, Promise<void>>();
  const sentTo = new Map<string, WriteRecord[]>();
  const budget = options.maxWrites ?? Number.POSITIVE_INFINITY;
  const burstWriters = options.burstWriters ?? offline.productConcurrency + 4;
  let sent = 0;

  const write = (id: string, name: string) => {
    const previous = lanes.get(id) ?? Promise.resolve();
    const next = previous.then(async () => {
      // Longer than API Gateway's 29 s: a missing answer is the runtime's fault, not the client's.
      const { status, body } = await target.post({ id, name, price: 1, description: runId }, AbortSignal.timeout(35_000));
      const record: WriteRecord = { id, name, status, answer: classifyAnswer(status, body) };
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
        tally.wrongReads += 1;
        violations.push(`GET ${id} answered ${response.status}: ${body.slice(0, 200)}`);
      }
    } catch (error) {
      tally.wrongReads += 1;
      violations.push(`GET ${id} got no answer (${(error as Error).message})`);
    }
  };

  try {
    for (const [p, phase] of schedule.entries()) {
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
  const slowest = Math.max(0, ...schedule.map((phase) => phase.latencyMs));
  if (slowest > 1_000) await sleep(slowest + 500);

  // The newest accepted write per product: what the table must come to hold.
  const lastAccepted = new Map<string, string>();
  for (const [id, lane] of sentTo) {
    const accepted = lane.filter((w) => w.answer === 'accepted').at(-1);
    if (accepted) lastAccepted.set(id, accepted.name);
  }

  // Settle: wait for the queue, the DLQs and held deliveries to empty and the table to catch up.
  const started = Date.now();
  const depth = (name: string) => target.queueDepth(name);
  const deadDepth = async () => (await Promise.all(deadLetterQueues.map(depth))).reduce((a, b) => a + b, 0);
  const table = () => target.products(`${runId}-`);
  const pending = async () => ((await (await fetch(`${endpoint}/_localstack/health`)).json()) as { pendingDeliveries?: number }).pendingDeliveries ?? 0;

  let items: Map<string, StoredValue>;
  for (;;) {
    const [queued, dead, held] = await Promise.all([depth(names.queue), deadDepth(), pending()]);
    items = await table();
    const caughtUp = [...lastAccepted].every(([id, name]) => {
      const lane = sentTo.get(id) ?? [];
      const heldName = items.get(id)?.name;
      // Caught up when the table holds the newest accepted write or a later one (an unknown that landed).
      return heldName !== undefined && lane.findIndex((w) => w.name === heldName) >= lane.findIndex((w) => w.name === name);
    });
    if ((queued === 0 && held === 0 && caughtUp) || dead > 0 || Date.now() - started > options.settleTimeoutMs) break;
    await sleep(200);
  }
  const settledMs = Date.now() - started;
  // Log lines arrive asynchronously from the workers; give the last ones a moment.
  await sleep(300);

  for (const w of writes.filter((record) => record.answer === 'wrong')) {
    tally.wrongAnswers += 1;
    violations.push(
      `${w.id}: write "${w.name}" answered ${w.status || 'nothing'}, which is neither accepted (200/202), refused (503 not saved, throttled) nor unknown (503 outcome unknown)`,
    );
  }
  for (const [id, lane] of sentTo) {
    const heldName = items.get(id)?.name;
    const acceptedAt = lane.findLastIndex((w) => w.answer === 'accepted');
    const heldAt = heldName === undefined ? -1 : lane.findIndex((w) => w.name === heldName);
    const heldWrite = lane[heldAt];
    if (heldName === undefined) {
      if (acceptedAt >= 0) {
        tally.lost += 1;
        violations.push(`${id}: the newest accepted write is "${lane[acceptedAt]?.name}" (${lane[acceptedAt]?.status}), the table holds nothing`);
      }
      continue;
    }
    if (!heldWrite) {
      violations.push(`${id}: holds "${heldName}", which was never sent`);
      continue;
    }
    if (heldWrite.answer === 'refused') {
      tally.refusedStored += 1;
      violations.push(`${id}: holds "${heldName}", a write the API refused (${heldWrite.status})`);
    } else if (heldAt < acceptedAt) {
      tally.stale += 1;
      violations.push(`${id}: the newest accepted write is "${lane[acceptedAt]?.name}", the table holds the older "${heldName}" (${heldWrite.answer})`);
    } else if (heldWrite.answer === 'unknown') {
      tally.unknownLanded += 1;
    }
  }

  const [queued, deadLetters] = await Promise.all([depth(names.queue), takeDeadLetters(target, runId)]);
  if (queued !== 0) violations.push(`the queue still holds ${queued} message(s) after ${settledMs} ms`);
  if (deadLetters.length > 0) {
    tally.deadLettered += deadLetters.length;
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
  return { runId, writes, violations, tally, settledMs, staleDropped };
}
