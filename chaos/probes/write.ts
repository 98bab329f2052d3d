/**
 * `probe write`: POSTs N products, each V times in order, all products in parallel, records
 * every answer in the state file, and checks every status is one the experiment expects.
 */
import { awsLimits } from '#spec';
import { connectionCode, ProbeError } from './errors';
import { appendRecord, type WriteRecord } from './records';

export interface WriteOptions {
  /** The product API's URL (AppClient.apiUrl). */
  apiUrl: string;
  state: string;
  products: number;
  versions: number;
  prefix: string;
  expect: number[];
  expectRetryAfter: boolean;
  /** Also require at least one 202: the fault reached the product Lambda and a write was queued. */
  expectQueued?: boolean;
  /** Also require every answer within this many ms (an answer is timed from just before it was sent). */
  withinMs?: number;
  /** The experiment activity sending the writes, recorded with each (WriteRecord.activity). */
  activity?: string;
}

export interface WriteSummary {
  sent: number;
  /** Answers by status, e.g. {"200": 7, "202": 3}; "0" counts writes that got no answer. */
  statuses: Record<string, number>;
  /** Writes whose status is not in --expect. */
  unexpected: number;
  /** With --expect-retry-after only: 503 answers without a Retry-After header. */
  missingRetryAfter?: number;
  /** With --within only: answers (or failures) that took longer. */
  slow?: number;
}

/** API Gateway answers within 29 s; a request still open well after that has no answer coming. */
export const REQUEST_TIMEOUT_MS = awsLimits.apiGatewayIntegrationTimeoutMs + 6_000;

export const probeProductId = (prefix: string, i: number) => `${prefix}-${i}`;
export const productName = (prefix: string, i: number, version: number) => `${prefix}-${i} v${version}`;

interface Sent {
  record: WriteRecord;
  error?: unknown;
}

async function send(apiUrl: string, id: string, name: string, version: number, activity?: string): Promise<Sent> {
  const from = activity === undefined ? {} : { activity };
  const sentAt = Date.now();
  try {
    const response = await fetch(apiUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id, name, price: version, description: 'written by scripts/probe.ts write' }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    // Read the body so the answer is complete (and the connection freed) before it is timed.
    await response.arrayBuffer();
    const answeredAt = Date.now();
    return { record: { id, name, version, status: response.status, sentAt, answeredAt, retryAfter: response.headers.get('retry-after'), ...from } };
  } catch (error) {
    return { record: { id, name, version, status: 0, sentAt, answeredAt: Date.now(), retryAfter: null, ...from }, error };
  }
}

const timedOut = (error: unknown) => error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');

/** Why fetch could not send: the network code (ECONNREFUSED, ...) or its cause's message ("bad port"). */
function unreachableReason(error: unknown): string {
  const cause = (error as { cause?: { message?: unknown } } | undefined)?.cause;
  return connectionCode(error) ?? (typeof cause?.message === 'string' ? cause.message : error instanceof Error ? error.message : String(error));
}

/**
 * Sends the writes and appends their records; `held` is the check: every status expected, and
 * as asked, every 503 with Retry-After, at least one 202, every answer in time.
 */
export async function writeProducts(options: WriteOptions): Promise<{ summary: WriteSummary; held: boolean }> {
  const all: Sent[] = [];
  const writer = async (i: number) => {
    const id = probeProductId(options.prefix, i);
    for (let version = 1; version <= options.versions; version += 1) {
      const sent = await send(options.apiUrl, id, productName(options.prefix, i, version), version, options.activity);
      appendRecord(options.state, sent.record);
      all.push(sent);
    }
  };
  await Promise.all(Array.from({ length: options.products }, (_, index) => writer(index + 1)));

  // Nothing answered and no request even got through (no timeout: a refused connection, a bad
  // address): the target is not there, which is no verdict on it.
  const unreachable = all.every((sent) => sent.record.status === 0 && !timedOut(sent.error)) ? all.map((sent) => unreachableReason(sent.error))[0] : undefined;
  if (unreachable) {
    throw new ProbeError(`Could not reach the product API at ${options.apiUrl} (${unreachable}). Is LocalStack or the offline runtime (npm start) running?`);
  }

  const statuses: Record<string, number> = {};
  for (const { record } of all) statuses[record.status] = (statuses[record.status] ?? 0) + 1;
  const unexpected = all.filter(({ record }) => !options.expect.includes(record.status)).length;
  const summary: WriteSummary = { sent: all.length, statuses, unexpected };
  if (options.expectRetryAfter) summary.missingRetryAfter = all.filter(({ record }) => record.status === 503 && !record.retryAfter).length;
  const { withinMs } = options;
  if (withinMs !== undefined) summary.slow = all.filter(({ record }) => record.answeredAt - record.sentAt > withinMs).length;
  const queued = !options.expectQueued || (statuses[202] ?? 0) > 0;
  return { summary, held: unexpected === 0 && (summary.missingRetryAfter ?? 0) === 0 && (summary.slow ?? 0) === 0 && queued };
}
