/**
 * The redrive behind `npm run chaos -- redrive`: every message in the stack's dead-letter queues
 * goes back to ProductEventsQueue, where the retry Lambda applies it with the ordering rule (a
 * write older than what the table holds is dropped as stale, never applied over newer data).
 *
 * What a DLQ can hold: writes the retry Lambda parked (the product JSON, with a `reason`
 * attribute), writes SQS redrove after maxReceiveCount receives (the product JSON), and SNS
 * deliveries the subscription's redrive policy dead-lettered. The last may arrive raw or wrapped
 * in an SNS envelope (`{"Type": "Notification", "Message": "<the product JSON>", ...}`), as
 * emulators and AWS differ; an envelope is unwrapped, since the retry Lambda reads raw messages.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { deadLetterQueues, names } from '#spec';

/** How long a message being moved stays hidden from other readers (and from this loop). */
const HIDE_SECONDS = 60;

export interface RedriveOptions {
  dryRun?: boolean;
  /** Where to send; the product queue unless a test says otherwise. */
  queue?: string;
  /** The queues to drain; every DLQ of the stack unless a test says otherwise. */
  from?: readonly string[];
  print?: (line: string) => void;
}

export interface RedriveResult {
  /** Messages moved (or, with dryRun, that would be moved), by DLQ name. */
  moved: Record<string, number>;
  total: number;
}

/** The body the retry Lambda expects: an SNS envelope's `Message`, or the body as it is. */
export function unwrapSnsEnvelope(body: string): { body: string; enveloped: boolean } {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const { Type, Message } = parsed as { Type?: unknown; Message?: unknown };
      if (Type === 'Notification' && typeof Message === 'string') return { body: Message, enveloped: true };
    }
  } catch {
    // Not JSON: moved as it is; the retry Lambda dead-letters it again with its reason.
  }
  return { body, enveloped: false };
}

/** One line about a message for --dry-run: its product, its reason if it has one. */
export function describeMessage(message: Message): string {
  const { body, enveloped } = unwrapSnsEnvelope(message.Body ?? '');
  let what: string;
  try {
    const product = JSON.parse(body) as { id?: unknown; updatedAt?: unknown };
    what =
      typeof product.id === 'string'
        ? `product ${JSON.stringify(product.id)}${typeof product.updatedAt === 'number' ? ` updatedAt ${product.updatedAt}` : ''}`
        : 'JSON without a product id';
  } catch {
    what = `not JSON (${body.length} characters)`;
  }
  const reason = message.MessageAttributes?.reason?.StringValue;
  const received = message.Attributes?.ApproximateReceiveCount;
  return [
    `${message.MessageId ?? '?'}: ${what}`,
    enveloped ? 'in an SNS envelope' : undefined,
    received ? `received ${received} time(s)` : undefined,
    reason ? `reason: ${reason}` : undefined,
  ]
    .filter(Boolean)
    .join('; ');
}

async function queueUrl(sqs: SQSClient, name: string): Promise<string> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error(`The target answered no URL for queue ${name}`);
  return QueueUrl;
}

/**
 * Moves every message of each DLQ to the queue (or, with dryRun, lists them and leaves them).
 * Only messages already there when the redrive started are moved: one the retry Lambda
 * dead-letters again meanwhile (a poison message) waits for the next redrive instead of looping.
 */
export async function redrive(sqs: SQSClient, options: RedriveOptions = {}): Promise<RedriveResult> {
  const print = options.print ?? (() => undefined);
  const started = Date.now();
  const destination = await queueUrl(sqs, options.queue ?? names.queue);
  const result: RedriveResult = { moved: {}, total: 0 };
  for (const name of options.from ?? deadLetterQueues) {
    const source = await queueUrl(sqs, name);
    const seen = new Set<string>();
    const hidden: Message[] = [];
    let moved = 0;
    let empty = 0;
    // Short polls sample part of the queue: stop after two empty answers in a row.
    while (empty < 2) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: source,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: empty === 0 ? 0 : 1,
          VisibilityTimeout: HIDE_SECONDS,
          MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
          MessageAttributeNames: ['All'],
        }),
      );
      const fresh = Messages.filter((m) => !seen.has(m.MessageId ?? '') && Number(m.Attributes?.SentTimestamp ?? 0) <= started);
      hidden.push(...Messages.filter((m) => !fresh.includes(m)));
      if (fresh.length === 0) {
        empty += 1;
        continue;
      }
      empty = 0;
      for (const message of fresh) seen.add(message.MessageId ?? '');
      if (options.dryRun) {
        for (const message of fresh) print(`  ${name} ${describeMessage(message)}`);
        hidden.push(...fresh);
        moved += fresh.length;
        continue;
      }
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: destination,
          Entries: fresh.map((message, i) => ({
            Id: String(i),
            MessageBody: unwrapSnsEnvelope(message.Body ?? '').body,
            MessageAttributes: { redrivenFrom: { DataType: 'String', StringValue: name } },
          })),
        }),
      );
      // Only what the queue took leaves the DLQ; the rest reappears there after HIDE_SECONDS.
      const taken = (sent.Successful ?? []).map((entry) => fresh[Number(entry.Id)]).filter((m): m is Message => m !== undefined);
      if (taken.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({ QueueUrl: source, Entries: taken.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })) }),
        );
      }
      moved += taken.length;
      const refused = sent.Failed ?? [];
      if (refused.length > 0) {
        throw new Error(
          `${names.queue} refused ${refused.length} message(s) (${refused[0]?.Code ?? '?'}: ${refused[0]?.Message ?? ''}); ${moved} moved so far, the rest stay in ${name}`,
        );
      }
    }
    // What this run only looked at (a dry run's listing, messages newer than its start) is visible again at once.
    for (let i = 0; i < hidden.length; i += 10) {
      const batch = hidden.slice(i, i + 10);
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: source,
          Entries: batch.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle ?? '', VisibilityTimeout: 0 })),
        }),
      );
    }
    result.moved[name] = moved;
    result.total += moved;
  }
  return result;
}
