/**
 * The ordering rule has two forms: isAtLeastAsNew (domain/ordering.ts), which the write paths use
 * to confirm a failed condition, and the DynamoDB condition the store writes with (its negation).
 * Against an emulator (dynalite), for each kind of stored item, the conditional put must land
 * exactly when the pure rule says the write is newer, at the same horizon.
 */
import { type AttributeValue, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { names, region, retryGuards } from '#spec';
import { WriteNotNewer } from '#domain/product-store';
import { isAtLeastAsNew, orderingHorizon } from '#domain/ordering';
import type { ProductWrite } from '#domain/product';
import { DynamoDbProductStore } from '#adapters/dynamodb-store';
import { createTable } from '../../offline/runtime/provision';
import { scaled } from '../support/time-scale';

let database: Server;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  database = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => database.listen(0, '127.0.0.1', resolve));
  dynamo = new DynamoDBClient({ region, endpoint: `http://127.0.0.1:${(database.address() as AddressInfo).port}` });
  await createTable(dynamo);
});

afterAll(async () => {
  dynamo?.destroy();
  await new Promise((resolve) => database?.close(resolve));
});

describe('the ordering rule: the DynamoDB condition and isAtLeastAsNew agree (dynalite)', () => {
  const now = Date.now();
  const horizon = orderingHorizon(now, retryGuards.clockSkewSeconds);
  const base = { name: 'n', price: 1, description: '' };
  // Stored items as the table may hold them (ours, older items without ordering data, wrong types),
  // and whether a write at `now` with requestId 'req-m' replaces them. Request ids outside the BMP
  // are left out: dynalite orders strings by UTF-16 code units where DynamoDB uses UTF-8 bytes
  // (test/unit/ordering.test.ts covers that order; the product Lambda's request ids are UUIDs).
  const storedItems: Array<[string, Record<string, AttributeValue> | undefined, boolean]> = [
    ['nothing', undefined, true],
    ['no ordering data', {}, true],
    ['updatedAt only (no requestId: the oldest of its millisecond)', { updatedAt: { N: String(now) } }, true],
    ['requestId only (no updatedAt: older than any write)', { requestId: { S: 'req-z' } }, true],
    ['older', { updatedAt: { N: String(now - 1) }, requestId: { S: 'zzz' } }, true],
    ['newer', { updatedAt: { N: String(now + 1) }, requestId: { S: 'aaa' } }, false],
    ['same ms, smaller requestId', { updatedAt: { N: String(now) }, requestId: { S: 'req-a' } }, true],
    ['same ms, same requestId (a redelivery of the same write)', { updatedAt: { N: String(now) }, requestId: { S: 'req-m' } }, false],
    ['same ms, greater requestId', { updatedAt: { N: String(now) }, requestId: { S: 'req-z' } }, false],
    ['updatedAt stored as a string', { updatedAt: { S: String(now + 5) }, requestId: { S: 'req-z' } }, true],
    ['requestId stored as a number', { updatedAt: { N: String(now) }, requestId: { N: '9' } }, true],
    ['newer, at the horizon (the most clock skew allowed)', { updatedAt: { N: String(horizon) }, requestId: { S: 'aaa' } }, false],
    ['beyond the horizon by 1 ms', { updatedAt: { N: String(horizon + 1) }, requestId: { S: 'zzz' } }, true],
    ['beyond the horizon: a stamp in microseconds', { updatedAt: { N: String(now * 1000) }, requestId: { S: 'zzz' } }, true],
    ['beyond the horizon: an import with a huge number', { updatedAt: { N: '1e30' } }, true],
  ];

  it.each(storedItems)('stored: %s', async (label, extra, lands) => {
    const id = `order-${label.replace(/[^a-z]+/gi, '-')}`;
    if (extra) await dynamo.send(new PutItemCommand({ TableName: names.table, Item: { id: { S: id }, name: { S: 'stored' }, ...extra } }));
    const { Item: before } = await dynamo.send(new GetItemCommand({ TableName: names.table, Key: { id: { S: id } } }));
    const version = before
      ? { ...(before.updatedAt?.N ? { updatedAt: Number(before.updatedAt.N) } : {}), ...(before.requestId?.S ? { requestId: before.requestId.S } : {}) }
      : undefined;
    const write: ProductWrite = { id, ...base, updatedAt: now, requestId: 'req-m' };

    const landed = await new DynamoDbProductStore(dynamo, names.table, retryGuards.clockSkewSeconds)
      .put(write, horizon, AbortSignal.timeout(scaled(5_000)))
      .then(
        () => true,
        (error: unknown) => {
          if (!(error instanceof WriteNotNewer)) throw error;
          return false;
        },
      );
    expect(landed).toBe(!isAtLeastAsNew(version, write, horizon));
    expect(landed).toBe(lands);
  });
});
