/**
 * A generated corpus of hostile requests against the product API on the offline runtime. Every
 * one must get a 4xx that says what is wrong; none a 5xx; none may reach the queue or the table.
 * Then JSON nested thousands of levels deep to every other JSON endpoint of the edge (the Chaos
 * API, the runtime's own /_offline/ endpoints, the control planes' JSON services) and of the
 * dashboard: a 400 naming the nesting, nothing changed.
 */
import fc from 'fast-check';
import http from 'node:http';
import { localstack, names, region } from '#spec';
import { LAMBDA_FAULTS_PATH } from '../../shared/contracts/offline-api';
import { limits } from '#domain/limits';
import { parseProduct } from '#domain/product';
import { apiPath, edgeApiPath } from '../support/clients';
import { type ApiCall, type OfflineRuntime, runtimeForSuite } from '../support/offline';

interface Hostile extends ApiCall {
  label: string;
}

const valid = { id: 'prod-1', name: 'Widget', price: '9.99', description: 'fine' };
const validJson = JSON.stringify(valid);

function corpus(): Hostile[] {
  const cases: Hostile[] = [];
  // Truncated JSON: every prefix of a valid body.
  for (let i = 0; i < validJson.length; i += 1) cases.push({ label: `truncated at ${i}`, body: validJson.slice(0, i) });
  cases.push(
    { label: 'trailing garbage', body: `${validJson}}` },
    { label: 'single quotes', body: validJson.replace(/"/g, "'") },
    { label: 'two documents', body: `${validJson}${validJson}` },
  );
  // Wrong types, field by field.
  for (const field of Object.keys(valid)) {
    for (const value of [field === 'price' ? '4 2' : 42, true, null, [], {}, ['x']])
      cases.push({ label: `${field} = ${JSON.stringify(value)}`, body: JSON.stringify({ ...valid, [field]: value }) });
    cases.push({ label: `no ${field}`, body: JSON.stringify(Object.fromEntries(Object.entries(valid).filter(([key]) => key !== field))) });
  }
  for (const value of [-1, 1e20, 1.234, 'NaN', 'Infinity', '1e3', '0x10', '', ' ', '12,50', Number.MAX_SAFE_INTEGER]) {
    cases.push({ label: `price ${JSON.stringify(value)}`, body: JSON.stringify({ ...valid, price: value }) });
  }
  // Huge strings and deep nesting.
  cases.push(
    { label: 'huge name (over the body limit)', body: JSON.stringify({ ...valid, name: 'x'.repeat(100_000) }) },
    { label: 'long name', body: JSON.stringify({ ...valid, name: 'x'.repeat(limits.maxNameLength + 1) }) },
    { label: 'long description', body: JSON.stringify({ ...valid, description: 'd'.repeat(limits.maxDescriptionLength + 1) }) },
    { label: 'long id', body: JSON.stringify({ ...valid, id: 'i'.repeat(limits.maxIdLength + 1) }) },
    { label: 'deep nesting', body: `{"id": ${'['.repeat(3_000)}${']'.repeat(3_000)}}` },
    { label: 'deep nesting over the limit', body: `${'['.repeat(20_000)}${']'.repeat(20_000)}` },
  );
  // Unicode edge cases.
  for (const [label, id] of [
    ['lone surrogate', '\ud800'],
    ['zero-width space', 'prod\u200b1'],
    ['right-to-left override', 'prod\u202e1'],
    ['non-ASCII letters', 'prodé'],
    ['emoji', 'prod-🙂'],
    ['NUL', 'prod\u00001'],
    ['spaces', 'prod 1'],
    ['path traversal', '../etc/passwd'],
  ]) {
    cases.push({ label: `id with ${label}`, body: JSON.stringify({ ...valid, id }) });
  }
  cases.push(
    { label: 'name with a lone surrogate', body: JSON.stringify({ ...valid, name: 'x\udfff' }) },
    { label: 'name with a control character', body: JSON.stringify({ ...valid, name: 'x\u0007' }) },
  );
  // Prototype pollution.
  for (const key of ['__proto__', 'constructor', 'prototype'])
    cases.push({ label: `${key} key`, body: `{"id":"p","name":"n","price":1,"description":"d","${key}":{"admin":true}}` });
  // Wrong content types.
  for (const contentType of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/jsonx']) {
    cases.push({ label: `Content-Type ${contentType}`, contentType, body: validJson });
  }
  // Unknown methods and paths.
  for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) cases.push({ label: `${method} /${names.resource}`, method, body: validJson });
  const { stage, resource } = names;
  for (const path of [`/${stage}/other`, `/${stage}/${resource}/extra`, `/prod/${resource}`, `/${stage}/`, `/${stage}/${resource.toLowerCase()}`])
    cases.push({ label: `POST ${path}`, path, body: validJson });
  cases.push(
    { label: 'empty body', body: '' },
    { label: 'JSON null', body: 'null' },
    { label: 'JSON array', body: '[]' },
    { label: 'JSON string', body: '"product"' },
  );
  // Random JSON documents that are not products.
  const random = fc.sample(fc.jsonValue(), { numRuns: 150, seed: 42 });
  for (const [i, value] of random.entries()) {
    try {
      parseProduct(value);
    } catch {
      cases.push({ label: `random JSON #${i}`, body: JSON.stringify(value) });
    }
  }
  return cases;
}

let runtime: OfflineRuntime;
runtimeForSuite((started) => (runtime = started));

it('answers every hostile request with a 4xx that names the problem, and nothing reaches the queue or the table', async () => {
  const cases = corpus();
  expect(cases.length).toBeGreaterThan(250);
  const before = (await runtime.scan()).length;
  const publishesBefore = runtime.logs.filter((line) => line.includes('sns.Publish')).length;

  const failures: string[] = [];
  for (const request of cases) {
    const { status, body } = await runtime.request(request);
    let message: unknown;
    try {
      message = (JSON.parse(body) as { message?: unknown }).message;
    } catch {
      message = undefined;
    }
    if (status < 400 || status > 499 || typeof message !== 'string' || message.length < 5) failures.push(`${request.label}: ${status} ${body.slice(0, 120)}`);
  }

  expect(failures).toEqual([]);
  expect((await runtime.scan()).length).toBe(before);
  expect(await runtime.depth(names.queue)).toBe(0);
  expect(runtime.logs.filter((line) => line.includes('sns.Publish')).length).toBe(publishesBefore);
}, 120_000);

/** A product whose name is "café" in ISO-8859-1: the é is the single byte 0xE9, which is not UTF-8. */
const latin1Product = (id: string) =>
  Buffer.concat([Buffer.from(`{"id":"${id}","name":"caf`), Buffer.from([0xe9]), Buffer.from('","price":"1.00","description":"latin-1"}')]);

it.each([
  [
    'declared as charset=latin1',
    'prod-latin1',
    'application/json; charset=latin1',
    /^Request body is not valid UTF-8: JSON must be sent as UTF-8 \(the Content-Type says charset=latin1\)$/,
  ],
  ['without a Content-Type', 'prod-latin1-untyped', null, /name: must not contain U\+FFFD/],
])('refuses a body whose bytes are not UTF-8 (%s) with a 400 naming it, and stores nothing', async (_label, id, contentType, message) => {
  const sent = latin1Product(id);
  expect(sent.includes(0xe9)).toBe(true);
  const { status, body } = await runtime.request({ body: sent, contentType });
  expect(status).toBe(400);
  expect((JSON.parse(body) as { message: string }).message).toMatch(message);
  expect((await runtime.get(`${edgeApiPath}?id=${id}`)).status).toBe(404);
});

it('keeps a UTF-8 body as sent: the same bytes, non-ASCII text read back unchanged', async () => {
  const product = { id: 'prod-utf8', name: 'Café 🙂', price: 2, description: 'naïve' };
  expect((await runtime.request({ body: Buffer.from(JSON.stringify(product), 'utf8'), contentType: 'application/json; charset=utf-8' })).status).toBe(200);
  const read = await runtime.get(`${edgeApiPath}?id=prod-utf8`);
  expect(read.status).toBe(200);
  expect(JSON.parse(read.body)).toMatchObject(product);
});

it.each(['0x10', '1e2', '%205', '5%20', '%2B5', '-1', '05', '1.0', '0', '101', ''])(
  'answers GET ?limit=%s with a 400 naming the parameter and what it accepts',
  async (limit) => {
    const { status, body } = await runtime.request({ method: 'GET', path: `${apiPath}?limit=${limit}` });
    expect(status).toBe(400);
    expect((JSON.parse(body) as { message: string }).message).toMatch(
      new RegExp(`^Invalid limit ".*": must be a whole number from 1 to ${limits.listMaxLimit} in plain decimal digits`),
    );
  },
);

describe('JSON nested 5,000 levels deep', () => {
  const DEPTH = 5_000;
  const deepArray = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
  const deepObject = `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`;
  const signed = (service: string, headers: Record<string, string>) => ({
    ...headers,
    'X-Amz-Date': '20260101T000000Z',
    Authorization: `AWS4-HMAC-SHA256 Credential=${localstack.accessKey}/20260101/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00`,
  });
  const json = { 'Content-Type': 'application/json' };

  /** [method, path, headers, bodies]: each body nests DEPTH levels or more, in the place the endpoint reads. */
  const endpoints: Array<[string, string, Record<string, string>, string[]]> = [
    ...['POST', 'PATCH', 'DELETE'].map((method): [string, string, Record<string, string>, string[]] => [
      method,
      '/_localstack/chaos/faults',
      json,
      [deepArray, deepObject, `[${deepObject}]`],
    ]),
    ['POST', '/_localstack/chaos/effects', json, [deepArray, deepObject, `{"latency": 1, "services": ${deepObject}}`]],
    ...['POST', 'PATCH', 'DELETE'].map((method): [string, string, Record<string, string>, string[]] => [
      method,
      LAMBDA_FAULTS_PATH,
      json,
      [deepArray, `[${deepObject}]`],
    ]),
    ...['faults', 'latency', 'lambda-faults', 'fallback', 'mapping', 'clear-all', 'send', 'load', 'experiment'].map(
      (control): [string, string, Record<string, string>, string[]] => [
        'POST',
        `/dashboard/api/${control}`,
        json,
        [deepArray, `{"op": "add", "rule": ${deepObject}}`],
      ],
    ),
    [
      'POST',
      '/',
      signed('logs', { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'Logs_20140328.CreateLogGroup' }),
      [deepArray, `{"logGroupName": "deep", "tags": ${deepObject}}`],
    ],
    ['POST', '/2015-03-31/functions', signed('lambda', json), [deepArray, `{"FunctionName": "deep", "Tags": ${deepObject}}`]],
    ['POST', '/restapis', signed('apigateway', json), [deepArray, `{"name": "deep", "tags": ${deepObject}}`]],
    // The emulators' AWS APIs: a map attribute nested 5,000 times, an SQS call with its queue named.
    [
      'POST',
      '/',
      signed('dynamodb', { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'DynamoDB_20120810.PutItem' }),
      [`{"TableName": "${names.table}", "Item": {"id": {"S": "deep"}, "x": ${'{"M": {"a": '.repeat(DEPTH)}{"S": "x"}${'}}'.repeat(DEPTH)}}}`],
    ],
    [
      'POST',
      '/',
      signed('sqs', { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'AmazonSQS.SendMessage' }),
      [`{"QueueUrl": "${localstack.endpoint}/${localstack.accountId}/${names.queue}", "MessageBody": "x", "MessageAttributes": ${deepObject}}`],
    ],
  ];

  it('gets a 400 naming the nesting from every JSON endpoint of the edge and the dashboard, and changes nothing', async () => {
    const rules = [{ service: 'sns', operation: 'Publish', probability: 0.01 }];
    expect((await runtime.chaos('POST', 'faults', rules)).status).toBe(200);
    const failures: string[] = [];
    for (const [method, path, headers, bodies] of endpoints) {
      for (const body of bodies) {
        const answer = await raw(method, path, body, headers);
        if (answer.status !== 400 || !/nested \d+ levels deep/.test(answer.body))
          failures.push(`${method} ${path} ${body.slice(0, 30)}…: ${answer.status} ${answer.body.slice(0, 160)}`);
      }
    }
    expect(failures).toEqual([]);
    expect((await runtime.chaos('GET', 'faults')).json).toEqual(rules);
    expect((await runtime.chaos('GET', 'effects')).json).toEqual({ latency: 0 });
    await runtime.chaos('POST', 'faults', []);
  }, 60_000);
});

/** One request with exactly these headers, to the edge itself (not the product API's host). */
function raw(method: string, path: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port: runtime.port, method, path, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
