/**
 * The ordering horizon, end to end: a stored updatedAt beyond now + the clock skew bound (a stamp
 * in microseconds, another writer's clock, an import) is not newer than a real write, on the
 * direct path and the retry path alike; a stored write inside the horizon that is newer wins, and
 * the API says so (200 "not changed") instead of "added/updated". Real HTTP into the offline runtime, the items
 * planted with the real DynamoDB SDK client through the runtime's edge, the outage through the
 * Chaos API.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { names } from '#spec';
import { QUEUED_MESSAGE, STORED_MESSAGE } from '../../spec/api-messages';
import { apiPath } from '../support/clients';
import { dynamoOutage, receivesBlocked } from '../support/faults';
import { eventually, type OfflineRuntime, runtimeForSuite } from '../support/offline';

let runtime: OfflineRuntime;
runtimeForSuite((started) => (runtime = started), { reset: 'chaos-and-breakers' });

const product = (id: string, name: string) => ({ id, name, price: 7.5, description: 'A real write.' });

/** Puts an item straight into the table, as another writer or an import would, with the given updatedAt. */
async function plant(id: string, updatedAt: number): Promise<void> {
  await runtime.dynamo.send(
    new PutItemCommand({
      TableName: names.table,
      Item: {
        id: { S: id },
        name: { S: 'Planted' },
        price: { N: '1' },
        description: { S: 'Stamped by another clock.' },
        updatedAt: { N: String(updatedAt) },
        requestId: { S: randomUUID() },
      },
    }),
  );
}

/** The product as GET returns it. */
async function read(id: string): Promise<{ name: string; price: number }> {
  const answer = await runtime.request({ method: 'GET', path: `${apiPath}?id=${id}` });
  expect(answer.status).toBe(200);
  return JSON.parse(answer.body) as { name: string; price: number };
}

describe('a stored updatedAt beyond the horizon (here in microseconds) does not count as newer', () => {
  it('the direct path overwrites it, and GET shows the write the 200 reported', async () => {
    await plant('horizon-direct', Date.now() * 1000);
    expect(await runtime.post(product('horizon-direct', 'Real'))).toMatchObject({ status: 200, body: STORED_MESSAGE });
    expect(await read('horizon-direct')).toMatchObject({ name: 'Real', price: 7.5 });
  });

  it('the retry path lands a queued write over it', async () => {
    // Receives held so the write waits in the queue while DynamoDB is down and the item is planted.
    await runtime.blockReceives(dynamoOutage);
    expect(await runtime.post(product('horizon-queued', 'Queued'))).toMatchObject({ status: 202, body: QUEUED_MESSAGE });
    await runtime.chaos('POST', 'faults', [receivesBlocked]);
    await plant('horizon-queued', Date.now() * 1000);

    await runtime.chaos('POST', 'faults', []);
    await eventually('the queue to drain', () => runtime.drained(), 30_000);
    expect(await read('horizon-queued')).toMatchObject({ name: 'Queued', price: 7.5 });
  }, 60_000);
});

it('a newer stored write inside the horizon wins, and the POST it supersedes is answered "not changed" naming it, not "added/updated"', async () => {
  const newer = Date.now() + 60_000;
  await plant('horizon-newer', newer);
  const answer = await runtime.post(product('horizon-newer', 'Older'));
  expect(answer.status).toBe(200);
  expect(answer.body).toMatch(new RegExp(`^Product "horizon-newer" not changed: the table holds a newer write of it \\(updatedAt ${newer};`));
  expect(await read('horizon-newer')).toMatchObject({ name: 'Planted' });
});
