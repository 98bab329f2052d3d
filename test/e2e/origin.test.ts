/**
 * Web pages of other origins cannot change the runtime: requests as a browser sends them (real
 * HTTP, with Origin and fetch metadata headers) to the Chaos API and the AWS APIs are refused,
 * and nothing changes; the runtime's own origins, an origin allowed through
 * EXTRA_CORS_ALLOWED_ORIGINS and clients without an Origin (curl, SDKs) are served. The product
 * API stays open, as API Gateway leaves it. A page that reaches the runtime under a name of its
 * own (DNS rebinding) reads nothing: a Host that is not a loopback name (or one allowed through
 * OFFLINE_ALLOWED_HOSTS) is refused on every route.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import http from 'node:http';
import { localstack, names, region } from '#spec';
import { apiPath, arn, edgeApiPath, queueUrlAt, sdkConfig } from '../support/clients';
import { runtimeForSuite } from '../support/offline';

const DASHBOARD = 'http://dashboard.example:8080';
const ATTACKER = 'http://attacker.example';
/** A name the user reaches the runtime by besides loopback, allowed through OFFLINE_ALLOWED_HOSTS. */
const DEVBOX = 'devbox.example';

let url: string;
let port: number;
let emulatorPorts: number[];

runtimeForSuite(
  (runtime) => {
    ({ url, port, emulatorPorts } = runtime);
  },
  { env: { ...process.env, EXTRA_CORS_ALLOWED_ORIGINS: DASHBOARD, OFFLINE_ALLOWED_HOSTS: DEVBOX }, reset: 'chaos' },
);

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with exactly these headers, as a browser would send it (fetch cannot set Origin). */
function raw(method: string, path: string, body = '', headers: Record<string, string> = {}, to = port): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port: to, method, path, headers: { 'Content-Length': String(Buffer.byteLength(body)), ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const rule = JSON.stringify([{ service: 'dynamodb' }]);
const faults = async () => JSON.parse((await raw('GET', '/_localstack/chaos/faults')).body) as unknown[];
/** What a page's `fetch(url, {method: 'POST', body})` sends: a "simple" request, no preflight. */
const simplePost = (path: string, body: string, origin: string) =>
  raw('POST', path, body, { 'Content-Type': 'text/plain;charset=UTF-8', Origin: origin, 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'cors' });

/** SDK clients whose every call carries an Origin header, as calls from a page would. */
function fromOrigin<T extends DynamoDBClient | SQSClient | SNSClient>(client: T, origin: string | undefined): T {
  if (origin) {
    // The stacks differ only in their input and output types; the middleware touches neither.
    (client as DynamoDBClient).middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers.origin = origin;
        return next(args);
      },
      { step: 'build' },
    );
  }
  return client;
}
const config = () => sdkConfig(url);
const dynamo = (origin?: string) => fromOrigin(new DynamoDBClient(config()), origin);
const read = async (id: string) => (await dynamo().send(new GetItemCommand({ TableName: names.table, Key: { id: { S: id } }, ConsistentRead: true }))).Item;

describe('the Chaos API', () => {
  it('refuses a cross-origin simple POST from any page with 403 naming the origin, and installs nothing', async () => {
    const answer = await simplePost('/_localstack/chaos/faults', rule, ATTACKER);
    expect(answer.status).toBe(403);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    const { message } = JSON.parse(answer.body) as { message: string };
    expect(message).toContain(`origin ${ATTACKER}`);
    expect(message).toContain(`EXTRA_CORS_ALLOWED_ORIGINS=${ATTACKER}`);
    expect(message).toContain(`--allow-origin ${ATTACKER}`);
    expect(await faults()).toEqual([]);
  });

  it.each([
    ['PATCH', '/_localstack/chaos/faults', rule],
    ['DELETE', '/_localstack/chaos/faults', '[]'],
    ['POST', '/_localstack/chaos/effects', '{"latency": 5000}'],
  ])('refuses a cross-origin %s %s', async (method, path, body) => {
    const answer = await raw(method, path, body, { 'Content-Type': 'application/json', Origin: ATTACKER });
    expect(answer.status).toBe(403);
    expect(await faults()).toEqual([]);
    expect(JSON.parse((await raw('GET', '/_localstack/chaos/effects')).body)).toEqual({ latency: 0 });
  });

  it('refuses a cross-site request without Origin, and an opaque "null" origin', async () => {
    expect((await raw('POST', '/_localstack/chaos/faults', rule, { 'Content-Type': 'text/plain', 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await simplePost('/_localstack/chaos/faults', rule, 'null')).status).toBe(403);
    // The same host on another port is another origin (a dev server on :3000, say).
    expect((await simplePost('/_localstack/chaos/faults', rule, 'http://localhost:3000')).status).toBe(403);
    expect(await faults()).toEqual([]);
  });

  it('fails the preflight of a foreign page, and gives it nothing to read', async () => {
    const preflight = await raw('OPTIONS', '/_localstack/chaos/faults', '', {
      Origin: ATTACKER,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'content-type',
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const read = await raw('GET', '/_localstack/chaos/faults', '', { Origin: ATTACKER });
    expect(read.status).toBe(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
    expect((await raw('GET', '/_localstack/health', '', { Origin: ATTACKER })).headers['access-control-allow-origin']).toBeUndefined();
  });

  it.each(['http://localhost', 'http://127.0.0.1', 'http://localhost.localstack.cloud', 'http://[::1]'])(
    'serves a page of the runtime itself (%s:<port>)',
    async (host) => {
      const origin = `${host}:${port}`;
      const answer = await raw('POST', '/_localstack/chaos/faults', rule, {
        'Content-Type': 'application/json',
        Origin: origin,
        'Sec-Fetch-Site': 'same-origin',
      });
      expect(answer.status).toBe(200);
      expect(answer.headers['access-control-allow-origin']).toBe(origin);
      expect(await faults()).toEqual([{ service: 'dynamodb' }]);
    },
  );

  it('serves clients that send no Origin (curl, the SDKs, the CLI), without CORS headers', async () => {
    const answer = await raw('POST', '/_localstack/chaos/faults', rule, { 'Content-Type': 'application/json' });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    expect(await faults()).toEqual([{ service: 'dynamodb' }]);
  });

  it('serves an origin allowed through EXTRA_CORS_ALLOWED_ORIGINS, preflight included', async () => {
    const preflight = await raw('OPTIONS', '/_localstack/chaos/faults', '', {
      Origin: DASHBOARD,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'content-type',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({ 'access-control-allow-origin': DASHBOARD, 'access-control-allow-headers': 'content-type', vary: 'Origin' });
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    const answer = await raw('POST', '/_localstack/chaos/faults', rule, { 'Content-Type': 'application/json', Origin: DASHBOARD });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe(DASHBOARD);
    expect(await faults()).toEqual([{ service: 'dynamodb' }]);
  });
});

const item = (id: string) => ({ TableName: names.table, Item: { id: { S: id }, name: { S: 'From a page' } } });

describe('the AWS APIs', () => {
  it('refuses a DynamoDB write from a foreign page, in a form the SDK reads, and writes nothing', async () => {
    await expect(dynamo(ATTACKER).send(new PutItemCommand(item('origin-attacker')))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining(ATTACKER),
      $metadata: { httpStatusCode: 403 },
    });
    expect(await read('origin-attacker')).toBeUndefined();
  });

  it('refuses SQS and SNS calls from a foreign page', async () => {
    const sqs = fromOrigin(new SQSClient({ ...config(), useQueueUrlAsEndpoint: false }), ATTACKER);
    const queueUrl = queueUrlAt(url, names.deadLetterQueue);
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'from a page' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    const sns = fromOrigin(new SNSClient(config()), ATTACKER);
    const topicArn = arn('sns', names.topic);
    await expect(sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'from a page' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
  });

  it('serves the runtime’s own pages and the SDK without an Origin; the emulator’s "*" CORS header never leaks', async () => {
    await dynamo().send(new PutItemCommand(item('origin-sdk')));
    await dynamo(`http://localhost:${port}`).send(new PutItemCommand(item('origin-self')));
    expect(await read('origin-sdk')).toBeDefined();
    expect(await read('origin-self')).toBeDefined();
    // dynalite answers any Origin with "Access-Control-Allow-Origin: *"; the edge sends its own decision instead.
    const answer = await raw('POST', '/', JSON.stringify({ TableName: names.table, Key: { id: { S: 'origin-self' } } }), {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': 'DynamoDB_20120810.GetItem',
      'X-Amz-Date': '20260101T000000Z',
      Authorization: `AWS4-HMAC-SHA256 Credential=${localstack.accessKey}/20260101/${region}/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=00`,
      Origin: DASHBOARD,
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe(DASHBOARD);
  });
});

describe("the emulators' own loopback ports", () => {
  // A page can reach any loopback port; these would otherwise take its writes past every check.
  it('refuse every request that does not come through the edge, preflights and foreign pages included', async () => {
    expect(emulatorPorts).toHaveLength(2);
    const [databasePort, messagingPort] = emulatorPorts as [number, number];
    const put = await raw(
      'POST',
      '/',
      JSON.stringify(item('origin-emulator')),
      {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': 'DynamoDB_20120810.PutItem',
        Authorization: `AWS4-HMAC-SHA256 Credential=${localstack.accessKey}/20260101/${region}/dynamodb/aws4_request, SignedHeaders=host, Signature=00`,
        Origin: ATTACKER,
      },
      databasePort,
    );
    expect(put.status).toBe(403);
    expect(put.body).toContain("call the runtime's edge port");
    const preflight = await raw('OPTIONS', '/', '', { Origin: ATTACKER, 'Access-Control-Request-Method': 'POST' }, databasePort);
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const publish = await raw(
      'POST',
      '/',
      `Action=Publish&TopicArn=${encodeURIComponent(arn('sns', names.topic))}&Message=hi`,
      {
        'Content-Type': 'application/x-www-form-urlencoded',
        Origin: ATTACKER,
      },
      messagingPort,
    );
    expect(publish.status).toBe(403);
    // Without an Origin too: nothing but the edge is served.
    expect((await raw('POST', '/', '{}', { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'AmazonSQS.ListQueues' }, messagingPort)).status).toBe(
      403,
    );
    expect(await read('origin-emulator')).toBeUndefined();
    // Through the edge, the same stores still answer.
    await dynamo().send(new PutItemCommand(item('origin-through-edge')));
    expect(await read('origin-through-edge')).toBeDefined();
  });
});

describe('the product API', () => {
  it('stays open to every origin, as API Gateway leaves it', async () => {
    const product = JSON.stringify({ id: 'origin-api', name: 'Widget', price: 1, description: 'From a page' });
    const answer = await raw('POST', edgeApiPath, product, { 'Content-Type': 'application/json', Origin: ATTACKER, 'Sec-Fetch-Site': 'cross-site' });
    expect(answer.status).toBe(200);
    expect(await read('origin-api')).toBeDefined();
  });
});

describe('the Host a request names (DNS rebinding)', () => {
  /** What any SigV4-signed call carries: the edge reads the service from the scope and checks no signature. */
  const signed = (service: string) => ({
    'X-Amz-Date': '20260101T000000Z',
    Authorization: `AWS4-HMAC-SHA256 Credential=${localstack.accessKey}/20260101/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00`,
  });
  const functionPath = `/2015-03-31/functions/${names.productFunction}`;

  it.each([
    ['the Lambda API (the function’s configuration and environment)', functionPath, signed('lambda')],
    ['the Chaos API', '/_localstack/chaos/faults', {}],
    ['the health check', '/_localstack/health', {}],
    ['the product API', edgeApiPath, {}],
    ['the dashboard', '/dashboard/api/state', {}],
  ])('refuses %s under a foreign Host with 403 naming the Host and the setting', async (_label, path, headers) => {
    const answer = await raw('GET', path, '', { ...headers, Host: `attacker.example:${port}` });
    expect(answer.status).toBe(403);
    const { message } = JSON.parse(answer.body) as { message: string };
    expect(message).toContain(`"attacker.example:${port}"`);
    expect(message).toContain('OFFLINE_ALLOWED_HOSTS=attacker.example');
    expect(message).toContain('--allow-host attacker.example');
    expect(answer.body).not.toContain('Environment');
  });

  it('refuses a write under a foreign Host too, and changes nothing', async () => {
    const answer = await raw('POST', '/_localstack/chaos/faults', rule, { 'Content-Type': 'application/json', Host: 'attacker.example' });
    expect(answer.status).toBe(403);
    expect(await faults()).toEqual([]);
  });

  it('serves the same read under the runtime’s own name', async () => {
    const answer = await raw('GET', functionPath, '', { ...signed('lambda'), Host: `localhost:${port}` });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('Environment');
  });

  it.each([
    'localhost',
    'LOCALHOST',
    '127.0.0.1',
    '127.1.2.3',
    '[::1]',
    'app.localhost',
    'localhost.localstack.cloud',
    `sqs.${region}.localhost.localstack.cloud`,
    DEVBOX,
  ])('serves Host %s, with and without the port', async (name) => {
    for (const host of [name, `${name}:${port}`])
      expect({ host, status: (await raw('GET', '/_localstack/health', '', { Host: host })).status }).toEqual({ host, status: 200 });
  });

  it('serves the product API at its host-style URL and the AWS APIs under a name allowed through OFFLINE_ALLOWED_HOSTS', async () => {
    const product = JSON.stringify({ id: 'host-style', name: 'Widget', price: 1, description: 'By its URL' });
    const host = `${names.restApiId}.execute-api.localhost.localstack.cloud:${port}`;
    expect((await raw('POST', apiPath, product, { 'Content-Type': 'application/json', Host: host })).status).toBe(200);
    expect(await read('host-style')).toBeDefined();
    expect((await raw('GET', functionPath, '', { ...signed('lambda'), Host: `${DEVBOX}:${port}` })).status).toBe(200);
    expect((await raw('GET', '/_localstack/chaos/faults', '', { Host: DEVBOX })).status).toBe(200);
  });
});
