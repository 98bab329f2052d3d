/**
 * The accepted-write guarantee (issue #10, product path) under faults the Chaos API can inject,
 * end to end: real HTTP into the offline runtime, the product Lambda from its bundle, real SDK
 * calls into the emulators, faults and latency through the Chaos API.
 *
 * - Finding 1: an injected ConditionalCheckFailedException is not proof of a newer write.
 * - Finding 2: a DynamoDB refusal of a product that passed our validation is not the client's fault.
 * - Finding 4: a write whose DynamoDB call timed out may still land: the answer says "unknown".
 * - Finding 7: GET answers 4xx for bad input and 503 for a faulted dependency, never 500.
 */
import { awsLimits, timing } from '#spec';
import * as http from '../../spec/api-messages';
import { apiPath } from '../support/clients';
import { sampleProduct } from '../support/events';
import { dynamoOutage, dynamoRefusals, readFaults } from '../support/faults';
import { eventually, type OfflineRuntime, runtimeForSuite } from '../support/offline';

let runtime: OfflineRuntime;
runtimeForSuite((started) => (runtime = started), { reset: 'chaos-and-breakers' });

/** A GET through the tutorial's host-style URL, with the answer's headers. */
const get = (query: string) => runtime.request({ method: 'GET', path: `${apiPath}?${query}` });
const product = (id: string, extra: Record<string, unknown> = {}) => sampleProduct({ id, ...extra });
const drained = () => runtime.drained();
const fault = (operation: string, code: string, statusCode = 400) => ({ service: 'dynamodb', operation, error: { statusCode, code } });
/** Holds queued writes in the queue (the retry Lambda cannot receive them) so a test sees what the product path did on its own. */
const holdQueue = (...others: unknown[]) => runtime.blockReceives(...others);
const message = (answer: { body: string }) => (JSON.parse(answer.body) as { message: string }).message;

describe('finding 1: an injected ConditionalCheckFailedException on PutItem', () => {
  it('does not answer 200 for a new id that is not stored: the write is queued and lands', async () => {
    await holdQueue(fault('PutItem', 'ConditionalCheckFailedException'));
    const answer = await runtime.post(product('prod-ccf-new'));
    expect(answer).toMatchObject({ status: 202, body: http.QUEUED_MESSAGE });
    expect(await runtime.item('prod-ccf-new')).toBeUndefined();

    await runtime.chaos('POST', 'faults', []);
    expect(await eventually('prod-ccf-new in the table', () => runtime.item('prod-ccf-new'))).toMatchObject({ name: { S: 'Super Widget' } });
    await eventually('the queue to drain', drained);
  });

  it('does not drop an update as "superseded" when the table holds only an older write', async () => {
    expect((await runtime.post(product('prod-ccf-old', { name: 'Older' }))).status).toBe(200);
    await holdQueue(fault('PutItem', 'ConditionalCheckFailedException'));
    expect(await runtime.post(product('prod-ccf-old', { name: 'Newer' }))).toMatchObject({ status: 202, body: http.QUEUED_MESSAGE });

    await runtime.chaos('POST', 'faults', []);
    await eventually('the newer name in the table', async () => (await runtime.item('prod-ccf-old'))?.name?.S === 'Newer');
    expect(runtime.logs.some((line) => line.includes('superseded') && line.includes('prod-ccf-old'))).toBe(false);
  });
});

describe('finding 2: DynamoDB refuses a product that passed our validation', () => {
  it.each(dynamoRefusals)('an injected %s on PutItem is queued (202), not a 400 blaming the client, and lands afterwards', async (code) => {
    const id = `prod-refused-${code}`;
    await holdQueue(fault('PutItem', code));
    const answer = await runtime.post(product(id));
    expect(answer).toMatchObject({ status: 202, body: http.QUEUED_MESSAGE });

    await runtime.chaos('POST', 'faults', []);
    expect(await eventually(`${id} in the table`, () => runtime.item(id))).toMatchObject({ price: { N: '29.99' } });
    await eventually('the queue to drain', drained);
  });
});

describe('finding 4: answers that say only what is known', () => {
  it('with latency beyond the per-attempt timeout, says the outcome is unknown (and the write may indeed land)', async () => {
    await runtime.chaos('POST', 'effects', { latency: timing.requestTimeoutMs + 1_000 });
    const answer = await runtime.post(product('prod-late'));
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toMatch(/^\d+$/);
    expect(message(answer)).toBe(http.OUTCOME_UNKNOWN_MESSAGE);
    expect(message(answer)).not.toMatch(/could not be saved/);

    // Why "unknown" is the honest answer: the timed-out calls still complete.
    await runtime.chaos('POST', 'effects', { latency: 0 });
    await eventually('the timed-out write to land', () => runtime.item('prod-late'), 30_000);
    // Retrying the same product is safe: it lands as the newest write.
    expect(await runtime.post(product('prod-late', { name: 'Retried' }))).toMatchObject({ status: 200, body: http.STORED_MESSAGE });
    await eventually('the queue to drain', drained, 30_000);
    expect((await runtime.item('prod-late'))?.name).toEqual({ S: 'Retried' });
  }, 90_000);

  it('when every DynamoDB and SNS attempt was refused, says the product was not saved, and it never appears', async () => {
    await runtime.chaos('POST', 'faults', [dynamoOutage, { service: 'sns', operation: 'Publish' }]);
    const answer = await runtime.post(product('prod-refused'));
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toMatch(/^\d+$/);
    expect(message(answer)).toBe(http.NOT_SAVED_MESSAGE);

    await runtime.chaos('POST', 'faults', []);
    await runtime.settled();
    expect(await runtime.item('prod-refused')).toBeUndefined();
  });
});

describe('finding 7: GET never answers 500', () => {
  const token = (id: string) => Buffer.from(JSON.stringify(id)).toString('base64url');

  const maxKeyBytes = awsLimits.dynamoMaxKeyBytes;

  it('answers 400 naming the problem for a nextToken whose key is over 2,048 bytes', async () => {
    // One byte over, in ASCII and in two-byte characters.
    for (const id of ['k'.repeat(maxKeyBytes + 1), 'é'.repeat(maxKeyBytes / 2 + 1)]) {
      const answer = await get(`nextToken=${token(id)}`);
      expect(answer.status).toBe(400);
      expect(message(answer)).toMatch(/nextToken/);
      expect(message(answer)).toMatch(new RegExp(`${maxKeyBytes} bytes`));
    }
    // A key of exactly 2,048 bytes is within DynamoDB's limit.
    expect((await get(`nextToken=${token('k'.repeat(maxKeyBytes))}`)).status).toBe(200);
  });

  it.each(readFaults)('answers 503 with Retry-After for an injected %s %s', async (operation, code) => {
    await runtime.post(product('prod-read'));
    await runtime.chaos('POST', 'faults', [fault(operation, code)]);
    const answer = await get(operation === 'GetItem' ? 'id=prod-read' : 'limit=5');
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toMatch(/^\d+$/);
    expect(message(answer)).toMatch(/DynamoDB/);
  });
});
