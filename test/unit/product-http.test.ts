/**
 * The product Lambda's HTTP face: bad input gets a 4xx naming the problem and never reaches AWS,
 * and GET reads a product or a page of them, answering 503 (never 500) when DynamoDB fails.
 * (product-handler.test.ts: POST.)
 */
import { DynamoDBServiceException, GetItemCommand, InternalServerError, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import 'aws-sdk-client-mock-jest';
import { limits } from '#domain/limits';
import { apiEvent, lambdaContext, sampleProduct } from '../support/events';
import { dynamo, meta, newHandler, resetMocks, sns } from '../support/product-handler';

beforeEach(resetMocks);

describe('bad input gets a 4xx that names the problem and never reaches AWS', () => {
  const cases: Array<[string, Parameters<typeof apiEvent>[0], number, RegExp]> = [
    ['malformed JSON', { body: '{"id": "prod-1", ' }, 400, /not valid JSON/],
    ['a JSON array', { body: '[1,2]' }, 400, /body: must be a JSON object/],
    ['a missing field', { body: JSON.stringify({ id: 'p', name: 'n', description: 'd' }) }, 400, /price: is required/],
    ['a wrong type', { body: JSON.stringify(sampleProduct({ name: 42 })) }, 400, /name: must be a string/],
    ['a non-numeric price', { body: JSON.stringify(sampleProduct({ price: 'cheap' })) }, 400, /price: must be an amount/],
    ['a negative price', { body: JSON.stringify(sampleProduct({ price: -1 })) }, 400, /price: must be an amount/],
    ['too many decimals', { body: JSON.stringify(sampleProduct({ price: '1.005' })) }, 400, /at most two decimals/],
    ['an unknown field', { body: JSON.stringify(sampleProduct({ admin: true })) }, 400, /unknown field\(s\): admin/],
    ['a prototype-pollution key', { body: '{"id":"a","name":"b","price":1,"description":"c","__proto__":{"x":1}}' }, 400, /unknown field\(s\): __proto__/],
    ['an id with spaces', { body: JSON.stringify(sampleProduct({ id: 'a b' })) }, 400, /id: must start with a letter or digit/],
    ['a lone surrogate', { body: JSON.stringify(sampleProduct({ name: 'x\ud800' })) }, 400, /valid Unicode/],
    ['a too long name', { body: JSON.stringify(sampleProduct({ name: 'n'.repeat(limits.maxNameLength + 1) })) }, 400, /name: must be at most 200 characters/],
    ['an oversized body', { body: JSON.stringify(sampleProduct({ description: 'd'.repeat(limits.maxBodyBytes) })) }, 413, /limit is 16384/],
    ['an empty body', { body: '' }, 400, /body is missing/],
    ['a form-encoded body', { body: 'id=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, /Unsupported Content-Type/],
    [
      'invalid UTF-8 in a base64 body',
      { body: Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), base64: true },
      400,
      /^Request body is not valid UTF-8: JSON must be sent as UTF-8$/,
    ],
    [
      'Latin-1 bytes declared as such',
      {
        body: Buffer.from('{"id":"p","name":"café","price":1,"description":""}', 'latin1').toString('base64'),
        base64: true,
        headers: { 'Content-Type': 'application/json; charset=latin1' },
      },
      400,
      /^Request body is not valid UTF-8: JSON must be sent as UTF-8 \(the Content-Type says charset=latin1\)$/,
    ],
    [
      'a base64 body that is not base64',
      { body: '{"id":"p"}', base64: true },
      400,
      /^Request body is marked base64-encoded \(isBase64Encoded\) but is not valid base64$/,
    ],
    [
      'a U+FFFD in a text body (bytes API Gateway could not decode)',
      { body: JSON.stringify(sampleProduct({ name: 'caf\ufffd' })) },
      400,
      /name: must not contain U\+FFFD/,
    ],
    ['an unknown method', { method: 'DELETE' }, 405, /DELETE is not allowed/],
    ['an unknown path', { method: 'GET', path: '/other' }, 404, /No route for \/other/],
    ['an invalid id to GET', { method: 'GET', query: { id: '../etc' } }, 400, /Invalid id/],
    ['an invalid page size', { method: 'GET', query: { limit: '0' } }, 400, /Invalid limit/],
  ];

  it.each(cases)('%s', async (_label, request, statusCode, message) => {
    const result = await newHandler()(apiEvent(request), lambdaContext());
    expect(result.statusCode).toBe(statusCode);
    expect(JSON.parse(result.body).message).toMatch(message);
    expect(dynamo.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });

  it.each(['0x10', '1e2', ' 5', '5 ', '+5', '-1', '05', '1.0', '0', '101', '', '9'.repeat(30)])(
    'answers GET ?limit=%j with a 400 naming the parameter and what it accepts',
    async (limit) => {
      const result = await newHandler()(apiEvent({ method: 'GET', query: { limit } }), lambdaContext());
      expect(result.statusCode).toBe(400);
      expect(JSON.parse(result.body).message).toMatch(
        new RegExp(
          `^Invalid limit ".{0,21}": must be a whole number from 1 to ${limits.listMaxLimit} in plain decimal digits \\(no sign, spaces, exponent or leading zeros\\)$`,
        ),
      );
      expect(dynamo.calls()).toHaveLength(0);
    },
  );

  it.each([
    ['1', 1],
    ['42', 42],
    ['100', 100],
  ])('accepts GET ?limit=%s as a page of %d', async (limit, pageSize) => {
    dynamo.on(ScanCommand).resolves({ Items: [] });
    expect((await newHandler()(apiEvent({ method: 'GET', query: { limit } }), lambdaContext())).statusCode).toBe(200);
    expect(dynamo.commandCalls(ScanCommand)[0]!.args[0].input.Limit).toBe(pageSize);
  });

  it('reads a base64-encoded JSON body as API Gateway sends binary payloads', async () => {
    dynamo.on(PutItemCommand).resolves({});
    const body = Buffer.from(JSON.stringify(sampleProduct())).toString('base64');
    expect((await newHandler()(apiEvent({ body, base64: true }), lambdaContext())).statusCode).toBe(200);
  });
});

describe('GET /productApi', () => {
  it('returns the product with price as a number', async () => {
    dynamo.on(GetItemCommand).resolves({
      Item: {
        id: { S: 'prod-2004' },
        name: { S: 'Ultimate Gadget' },
        price: { N: '49.99' },
        description: { S: 'd' },
        updatedAt: { N: '5' },
        requestId: { S: 'r' },
      },
    });
    const result = await newHandler()(apiEvent({ method: 'GET', query: { id: 'prod-2004' } }), lambdaContext());
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ id: 'prod-2004', name: 'Ultimate Gadget', price: 49.99, description: 'd', updatedAt: 5 });
    expect(dynamo.commandCalls(GetItemCommand)[0]!.args[0].input).toMatchObject({ Key: { id: { S: 'prod-2004' } }, ConsistentRead: true });
  });

  it('answers 404 for an unknown id', async () => {
    dynamo.on(GetItemCommand).resolves({});
    const result = await newHandler()(apiEvent({ method: 'GET', query: { id: 'nope' } }), lambdaContext());
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(result.body).message).toBe('Product "nope" not found');
  });

  it('answers 503 with Retry-After during an outage', async () => {
    dynamo.on(GetItemCommand).rejects(new InternalServerError({ message: 'down', ...meta(500) }));
    const result = await newHandler()(apiEvent({ method: 'GET', query: { id: 'prod-1' } }), lambdaContext());
    expect(result.statusCode).toBe(503);
    expect(result.headers!['Retry-After']).toMatch(/^\d+$/);
  });

  it('lists products a page at a time with a nextToken', async () => {
    dynamo
      .on(ScanCommand)
      .resolvesOnce({
        Items: [{ id: { S: 'a' }, name: { S: 'A' }, price: { N: '1' }, description: { S: '' }, updatedAt: { N: '1' } }],
        LastEvaluatedKey: { id: { S: 'a' } },
      })
      .resolvesOnce({ Items: [{ id: { S: 'b' }, name: { S: 'B' }, price: { N: '2' }, description: { S: '' }, updatedAt: { N: '2' } }] });
    const handler = newHandler();
    const first = JSON.parse((await handler(apiEvent({ method: 'GET', query: { limit: '1' } }), lambdaContext())).body);
    expect(first.items.map((p: { id: string }) => p.id)).toEqual(['a']);
    const second = JSON.parse((await handler(apiEvent({ method: 'GET', query: { limit: '1', nextToken: first.nextToken } }), lambdaContext())).body);
    expect(second).toEqual({ items: [expect.objectContaining({ id: 'b', price: 2 })] });
    expect(dynamo.commandCalls(ScanCommand)[1]!.args[0].input).toMatchObject({ Limit: 1, ExclusiveStartKey: { id: { S: 'a' } } });
  });

  it.each([
    ['GetItem', 'ValidationException'],
    ['GetItem', 'ConditionalCheckFailedException'],
    ['GetItem', 'SerializationException'],
    ['Scan', 'ValidationException'],
    ['Scan', 'ConditionalCheckFailedException'],
    ['Scan', 'SerializationException'],
  ])('answers 503 with Retry-After, never 500, when %s fails with %s (a faulted dependency)', async (operation, name) => {
    const error = new DynamoDBServiceException({ name, $fault: 'client', message: 'Operation failed due to a simulated fault', ...meta(400) });
    if (operation === 'GetItem') dynamo.on(GetItemCommand).rejects(error);
    else dynamo.on(ScanCommand).rejects(error);
    const result = await newHandler()(apiEvent({ method: 'GET', query: operation === 'GetItem' ? { id: 'prod-1' } : {} }), lambdaContext());
    expect(result.statusCode).toBe(503);
    expect(result.headers!['Retry-After']).toMatch(/^\d+$/);
  });

  it.each([
    ['2,049 ASCII bytes', 'k'.repeat(2_049), 2_049],
    ['1,025 two-byte characters', 'é'.repeat(1_025), 2_050],
  ])('answers 400 naming the limit for a nextToken whose key is over 2,048 bytes (%s), without calling DynamoDB', async (_label, id, bytes) => {
    const nextToken = Buffer.from(JSON.stringify(id)).toString('base64url');
    const result = await newHandler()(apiEvent({ method: 'GET', query: { nextToken } }), lambdaContext());
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).message).toBe(
      `Invalid nextToken: its key is ${bytes} bytes, over DynamoDB's limit of 2048 bytes; pass the value a previous page returned`,
    );
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('passes a nextToken whose key is exactly 2,048 bytes on to DynamoDB', async () => {
    dynamo.on(ScanCommand).resolves({ Items: [] });
    const nextToken = Buffer.from(JSON.stringify('k'.repeat(2_048))).toString('base64url');
    expect((await newHandler()(apiEvent({ method: 'GET', query: { nextToken } }), lambdaContext())).statusCode).toBe(200);
  });

  it('rejects a forged nextToken with 400', async () => {
    const result = await newHandler()(apiEvent({ method: 'GET', query: { nextToken: '!!!' } }), lambdaContext());
    expect(result.statusCode).toBe(400);
    expect(dynamo.calls()).toHaveLength(0);
  });
});
