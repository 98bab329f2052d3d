/**
 * The retry Lambda: drains ProductEventsQueue back into the Products table.
 * Each record is one accepted write. It lands with the same ordering rule as a direct write; a
 * stale one counts as done. A transient failure backs off and is reported as a batch item
 * failure; in a window of receives before the queue's redrive threshold the write is re-queued as
 * a fresh message instead, and each failed re-queue hides it for longer, so neither a DynamoDB
 * outage nor SQS refusing the re-queue for a while dead-letters a valid write. A write DynamoDB
 * refuses (ValidationException and the like) is retried the same way and parked in the DLQ only
 * after several refusals on separate receives. A record that can never succeed (not a write the
 * product Lambda could have produced) goes to the DLQ at once. Everything put in the DLQ carries
 * its reason; see DeadLetterAttributes.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { ChangeMessageVisibilityCommand, type MessageAttributeValue, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { timing } from '#spec';
import { CircuitBreaker } from '#resilience/breaker';
import { createDynamoClient, createSqsClient } from '#adapters/clients';
import { type Config, loadConfig } from '../config';
import { Deadline } from '#resilience/deadline';
import { describeError } from '#resilience/failures';
import { guardedPut } from '#resilience/guarded-put';
import { parseWrite, type ProductWrite } from '#domain/product';
import { ProductStore } from '#adapters/dynamodb-store';

/** SQS's limit on a message: body plus attributes (names, data types and values), in bytes. */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;
/** SQS's limit on a visibility timeout (12 hours). */
const MAX_VISIBILITY_SECONDS = 43_200;
/** SQS's limit on DelaySeconds. */
const MAX_DELAY_SECONDS = 900;
/** Kept free under the size limit, in case SQS counts an attribute a few bytes differently. */
const SIZE_MARGIN_BYTES = 512;

/** Why a message is in the DLQ: the `reasonCode` attribute the retry Lambda sets. */
export type DeadLetterReason =
  /** Not a write the product Lambda could have produced: unparseable, invalid, or out of bounds. Never applied. */
  | 'invalid-message'
  /** A valid write DynamoDB refused on maxRefusals separate receives. Redrive it once the cause is fixed. */
  | 'refused-by-dynamodb'
  /** A valid write at the redrive threshold that could not be re-queued. Redrive it. */
  | 'requeue-failed';

/**
 * The message attributes on what the retry Lambda puts in the DLQ (all String unless noted):
 * reason (a sentence, at most 1,024 characters), reasonCode (DeadLetterReason), sourceMessageId
 * (the queue message it came from), refusals (Number; refused-by-dynamodb only), and, when the
 * body had to be cut to fit SQS's limit, bodyTruncated ("true"), originalBodyBytes (Number) and
 * originalBodySha256. A DLQ message without a reasonCode was put there by SQS's own redrive
 * (maxReceiveCount receives: invocations that kept failing, or a re-queue that kept failing).
 */
export const DEAD_LETTER_ATTRIBUTES = ['reason', 'reasonCode', 'sourceMessageId', 'refusals', 'bodyTruncated', 'originalBodyBytes', 'originalBodySha256'] as const;

/** Visibility timeout for the next attempt: base × 2^(receiveCount-1), capped. */
export function backoffSeconds(receiveCount: number, config: Pick<Config, 'backoffBaseSeconds' | 'backoffCapSeconds'>): number {
  const exponent = Math.min(Math.max(receiveCount, 1) - 1, 30);
  return Math.round(Math.min(config.backoffCapSeconds, config.backoffBaseSeconds * 2 ** exponent));
}

/** How long a write stays hidden after its `failedAttempts`-th failed re-queue: base × 2^(n-1), capped. */
export function requeueHoldSeconds(failedAttempts: number, config: Pick<Config, 'requeueHoldBaseSeconds' | 'requeueHoldCapSeconds'>): number {
  const exponent = Math.min(Math.max(failedAttempts, 1) - 1, 30);
  return Math.round(Math.min(config.requeueHoldCapSeconds, MAX_VISIBILITY_SECONDS, config.requeueHoldBaseSeconds * 2 ** exponent));
}

/** The API Gateway request id (or Lambda request id) the product Lambda stamps on a write: a UUID. */
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What the retry Lambda trusts beyond parseWrite: a write the product Lambda could have produced.
 * Returns the reason it could not, or undefined.
 */
export function outOfBounds(write: ProductWrite, now: number, config: Pick<Config, 'clockSkewSeconds' | 'maxWriteAgeDays'>): string | undefined {
  const latest = now + config.clockSkewSeconds * 1000;
  if (write.updatedAt > latest) {
    return `Untrusted product write: updatedAt ${write.updatedAt} is ${Math.round((write.updatedAt - now) / 1000)} s in the future (allowed: ${config.clockSkewSeconds} s of clock skew); the product Lambda stamps the time it accepts a write`;
  }
  const earliest = now - config.maxWriteAgeDays * 86_400_000;
  if (write.updatedAt < earliest) {
    return `Untrusted product write: updatedAt ${write.updatedAt} is too old (more than ${config.maxWriteAgeDays} days before now)`;
  }
  if (!REQUEST_ID.test(write.requestId)) return 'Untrusted product write: requestId must be the request id the product Lambda stamps (a UUID)';
  return undefined;
}

function numberAttribute(record: SQSRecord, name: string): number {
  const value = Number(record.messageAttributes?.[name]?.stringValue);
  return Number.isInteger(value) && value > 0 ? value : 0;
}

/** SQS's size of a set of message attributes: names, data types and values. */
function attributeBytes(attributes: Record<string, MessageAttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
  }
  return bytes;
}

/** The longest prefix of `text` of at most `maxBytes` UTF-8 bytes, cut between characters. */
function utf8Prefix(text: string, maxBytes: number): string {
  const cut = Buffer.from(text, 'utf8').subarray(0, Math.max(0, maxBytes)).toString('utf8');
  return cut.endsWith('\uFFFD') && !text.startsWith(cut) ? cut.slice(0, -1) : cut;
}

/**
 * The DLQ copy of a message: the body as it came, unless body and attributes would exceed SQS's
 * limit; then the body is cut to fit, with a marker, and the attributes say so. The reason and
 * the other attributes always survive.
 */
export function deadLetterCopy(body: string, attributes: Record<string, MessageAttributeValue>, limit = SQS_MAX_MESSAGE_BYTES) {
  const bodyBytes = Buffer.byteLength(body);
  if (bodyBytes + attributeBytes(attributes) + SIZE_MARGIN_BYTES <= limit) return { body, attributes };
  const truncated: Record<string, MessageAttributeValue> = {
    ...attributes,
    bodyTruncated: { DataType: 'String', StringValue: 'true' },
    originalBodyBytes: { DataType: 'Number', StringValue: String(bodyBytes) },
    originalBodySha256: { DataType: 'String', StringValue: createHash('sha256').update(body).digest('hex') },
  };
  const marker = `…[cut by the retry Lambda to fit the DLQ: ${bodyBytes} bytes in all]`;
  const room = limit - attributeBytes(truncated) - SIZE_MARGIN_BYTES - Buffer.byteLength(marker);
  return { body: utf8Prefix(body, room) + marker, attributes: truncated };
}

/**
 * One record's logging context. The records of a batch are processed in parallel, so keys
 * appended to the shared logger would leak between them; each record passes its own keys with
 * every line instead. (A Powertools child logger would do too, but each child reports its first
 * line as a cold start.)
 */
export class RecordLog {
  constructor(
    private readonly logger: Logger,
    private keys: Record<string, unknown>,
  ) {}

  append(keys: Record<string, unknown>): void {
    this.keys = { ...this.keys, ...keys };
  }

  info(message: string, extra: Record<string, unknown> = {}): void {
    this.logger.info(message, { ...this.keys, ...extra });
  }

  warn(message: string, extra: Record<string, unknown> = {}): void {
    this.logger.warn(message, { ...this.keys, ...extra });
  }

  error(message: string, extra: Record<string, unknown> = {}): void {
    this.logger.error(message, { ...this.keys, ...extra });
  }
}

/** What one record's processing needs, with its own logging context. */
interface Work {
  record: SQSRecord;
  log: RecordLog;
  deadline: Deadline;
  receiveCount: number;
  /** DynamoDB refusals on earlier receives, carried by the re-queued copies. */
  refusals: number;
}

export function createHandler(config: Config) {
  const logger = new Logger({ serviceName: 'product-retry' });
  const store = new ProductStore(createDynamoClient(config), config.tableName);
  const sqs = createSqsClient(config);
  const breaker = new CircuitBreaker({ threshold: config.breakerThreshold, cooldownMs: config.breakerCooldownMs });
  const processor = new BatchProcessor(EventType.SQS);
  const firstRequeueReceive = Math.max(1, config.maxReceiveCount - config.requeueWindow);

  function readWrite(record: SQSRecord): ProductWrite | string {
    try {
      return parseWrite(JSON.parse(record.body));
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /**
   * Moves the record to the DLQ with its reason. A failure is logged and thrown: the record then
   * stays in the queue (reported as failed) and comes back, so nothing is dropped silently.
   */
  async function deadLetter(work: Work, code: DeadLetterReason, reason: string, extra: Record<string, MessageAttributeValue> = {}): Promise<void> {
    const { record, log } = work;
    const copy = deadLetterCopy(record.body, {
      reason: { DataType: 'String', StringValue: reason.slice(0, 1024) },
      reasonCode: { DataType: 'String', StringValue: code },
      sourceMessageId: { DataType: 'String', StringValue: record.messageId },
      ...extra,
    });
    try {
      await sqs.send(
        new SendMessageCommand({ QueueUrl: config.deadLetterQueueUrl, MessageBody: copy.body, MessageAttributes: copy.attributes }),
        { abortSignal: work.deadline.signal() },
      );
    } catch (error) {
      log.error('Could not move the message to the DLQ; it stays in the queue and will be tried again', {
        reasonCode: code,
        reason,
        bodyBytes: Buffer.byteLength(record.body),
        receiveCount: work.receiveCount,
        error: describeError(error),
      });
      throw error;
    }
    const truncated = copy.body !== record.body;
    log.error('Message moved to the DLQ', { reasonCode: code, reason, ...(truncated ? { bodyTruncated: true, bodyBytes: Buffer.byteLength(record.body) } : {}) });
  }

  /**
   * Sends a copy of the record to the back of the queue after `seconds`, so its receive count
   * starts again; the copy carries the refusals so far. Returns false (logged) if SQS did not take it.
   */
  async function requeue(work: Work, seconds: number, refusals: number, why: string): Promise<boolean> {
    const { record, log } = work;
    try {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: config.queueUrl,
          MessageBody: record.body,
          DelaySeconds: Math.min(seconds, MAX_DELAY_SECONDS),
          MessageAttributes: {
            requeuedFrom: { DataType: 'String', StringValue: record.messageId },
            ...(refusals > 0 ? { refusals: { DataType: 'Number', StringValue: String(refusals) } } : {}),
          },
        }),
        { abortSignal: work.deadline.signal() },
      );
      log.warn(`Write re-queued ${why}; it will be retried`, { receiveCount: work.receiveCount, retryInSeconds: seconds, refusals });
      return true;
    } catch (error) {
      log.error(`Could not re-queue the write ${why}`, {
        receiveCount: work.receiveCount,
        maxReceiveCount: config.maxReceiveCount,
        refusals,
        error: describeError(error),
      });
      return false;
    }
  }

  /** Hides the record for `seconds`; the record stays in flight and is reported as failed. */
  async function hide(work: Work, seconds: number): Promise<void> {
    try {
      await sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: config.queueUrl, ReceiptHandle: work.record.receiptHandle, VisibilityTimeout: seconds }),
        { abortSignal: work.deadline.signal() },
      );
    } catch (error) {
      work.log.warn('Could not extend the visibility timeout', { error: describeError(error) });
    }
  }

  /**
   * At the last receive SQS hands the function (the redrive threshold), a write that could not be
   * re-queued is parked in the DLQ with a reason, rather than left for SQS's redrive to move
   * without one. Returns true if it was parked.
   */
  async function parkAtThreshold(work: Work): Promise<boolean> {
    if (work.receiveCount < config.maxReceiveCount) return false;
    try {
      await deadLetter(
        work,
        'requeue-failed',
        `Re-queue failed on every receive from ${firstRequeueReceive} to ${work.receiveCount} (the redrive threshold); parked here so a redrive can apply it`,
        work.refusals > 0 ? { refusals: { DataType: 'Number', StringValue: String(work.refusals) } } : {},
      );
      return true;
    } catch {
      work.log.error('SQS will dead-letter this write at its next receive, without a reason; redrive the DLQ to apply it', { receiveCount: work.receiveCount });
      return false;
    }
  }

  /**
   * A write that could not be applied now. Before the re-queue window: hide it for the backoff.
   * In the window: re-queue it as a fresh message; if SQS refuses, hide it for longer with each
   * failed attempt so the remaining receives span a long SQS outage; at the very last receive,
   * park it in the DLQ with a reason rather than let SQS's redrive take it without one.
   * Returns true when the record is taken care of; false when it must be reported as failed.
   */
  async function backOff(work: Work): Promise<boolean> {
    const { receiveCount } = work;
    const seconds = backoffSeconds(receiveCount, config);
    if (receiveCount < firstRequeueReceive) {
      await hide(work, seconds);
      work.log.warn('Write not applied yet; it will be retried', { receiveCount, retryInSeconds: seconds });
      return false;
    }
    if (await requeue(work, seconds, work.refusals, 'before the redrive threshold')) return true;
    if (await parkAtThreshold(work)) return true;
    const hold = Math.max(seconds, requeueHoldSeconds(receiveCount - firstRequeueReceive + 1, config));
    await hide(work, hold);
    work.log.warn('Write not applied yet; it will be retried', { receiveCount, retryInSeconds: hold });
    return false;
  }

  /**
   * DynamoDB refused a write that passed our validation: retried later as a fresh message that
   * counts the refusals; parked in the DLQ after maxRefusals of them on separate receives.
   */
  async function refused(work: Work, message: string): Promise<boolean> {
    const refusals = work.refusals + 1;
    work.refusals = refusals;
    if (refusals >= config.maxRefusals) {
      await deadLetter(work, 'refused-by-dynamodb', `DynamoDB refused the write ${refusals} times, on separate receives; last: ${message}`, {
        refusals: { DataType: 'Number', StringValue: String(refusals) },
      });
      return true;
    }
    const seconds = requeueHoldSeconds(refusals, { requeueHoldBaseSeconds: config.requeueHoldBaseSeconds, requeueHoldCapSeconds: MAX_DELAY_SECONDS });
    work.log.warn('DynamoDB refused the write; it will be retried', { refusals, maxRefusals: config.maxRefusals, error: message });
    if (await requeue(work, seconds, refusals, 'after a refusal')) return true;
    if (await parkAtThreshold(work)) return true;
    await hide(work, seconds);
    return false;
  }

  async function processRecord(record: SQSRecord, deadline: Deadline): Promise<void> {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    const work: Work = {
      record,
      deadline,
      receiveCount,
      refusals: numberAttribute(record, 'refusals'),
      log: new RecordLog(logger, { messageId: record.messageId }),
    };
    const write = readWrite(record);
    if (typeof write === 'string') return deadLetter(work, 'invalid-message', write);
    work.log.append({ requestId: write.requestId, productId: write.id, updatedAt: write.updatedAt });
    const untrusted = outOfBounds(write, Date.now(), config);
    if (untrusted !== undefined) return deadLetter(work, 'invalid-message', untrusted);

    const put = await guardedPut(store, breaker, write, () => deadline.signal(config.dynamoBudgetMs));
    switch (put.kind) {
      case 'stored':
        work.log.info('Queued write applied');
        return;
      case 'stale':
        work.log.info('Queued write is stale; the table holds newer data');
        return;
      case 'rejected':
        if (await refused(work, put.message)) return;
        throw new Error(`DynamoDB refused the write: ${put.message}`);
      case 'unavailable':
        if (await backOff(work)) return;
        throw put.error ?? new Error('DynamoDB is unavailable (circuit breaker open)');
    }
  }

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    logger.addContext(context);
    const deadline = new Deadline(context, timing.safetyMarginMs);
    return processPartialResponse(event, (record: SQSRecord) => processRecord(record, deadline), processor, {
      context,
      throwOnFullBatchFailure: false,
    });
  };
}

export const handler = createHandler(loadConfig(process.env, ['tableName', 'queueUrl', 'deadLetterQueueUrl']));
