/** API Gateway's data plane: a request served from the deployed stage's route and its Lambda proxy integration. */
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type ApiBackend, isBinaryMediaType, serveApi } from '../../offline/services/apigateway/serve';
import type { ApiRequest } from '../../offline/protocol/http-api';
import type { InvokeResult } from '../../offline/services/lambda/function';
import { type DeployedIntegration, lambdaInvocationUri, type RouteLookup } from '../../offline/services/apigateway/model';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:Items';
const proxy: DeployedIntegration = {
  type: 'AWS_PROXY',
  uri: lambdaInvocationUri('us-east-1', FUNCTION_ARN),
  functionArn: FUNCTION_ARN,
  timeoutInMillis: 29_000,
};

const request = (path: string): ApiRequest => ({ apiId: 'abc123', stage: 'prod', path, query: new URLSearchParams('q=1') });
const req = (method: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  ({ method, headers, socket: { remoteAddress: '10.0.0.1' } }) as unknown as IncomingMessage;
const none = Buffer.alloc(0);

/**
 * A stage with one route, /items/{id} (GET and POST), whose integration is `integration` and whose
 * deployment has `binaryMediaTypes`; the function answers with `outcome`.
 */
function backend(integration: DeployedIntegration, outcome: (event: APIGatewayProxyEvent) => Promise<InvokeResult>, binaryMediaTypes: string[] = []) {
  const calls: { arn: string; event: APIGatewayProxyEvent }[] = [];
  const lines: string[] = [];
  const api: ApiBackend = {
    route: (apiId, stage, method, path): RouteLookup => {
      if (apiId !== 'abc123') return { missing: 'api' };
      if (stage !== 'prod') return { missing: 'stage' };
      const id = /^\/items\/([^/]+)$/.exec(path)?.[1];
      if (!id || (method !== 'GET' && method !== 'POST')) return { missing: 'route' };
      return {
        route: { apiId, stage, resourceId: 'r1', resourcePath: '/items/{id}', httpMethod: method, pathParameters: { id }, integration, binaryMediaTypes },
      };
    },
    invoke: (arn, event) => {
      calls.push({ arn, event: event as APIGatewayProxyEvent });
      return outcome(event as APIGatewayProxyEvent);
    },
    concurrencyLimit: () => 4,
    log: (line) => lines.push(line),
  };
  return { api, calls, lines };
}

const answered = (result: unknown): Promise<InvokeResult> => Promise.resolve({ ok: true, result, requestId: 'r' });
const json = (body: string | Buffer) => JSON.parse(String(body)) as Record<string, unknown>;

it('invokes the function the route’s AWS_PROXY integration names, with the proxy event of the route', async () => {
  const { api, calls } = backend(proxy, () => answered({ statusCode: 201, headers: { 'x-item': 'yes' }, body: 'made' }));
  const answer = await serveApi(api, request('/items/42'), req('GET'), none, 'req-1');
  expect(answer).toMatchObject({ statusCode: 201, body: 'made', headers: { 'x-item': 'yes', 'x-amzn-RequestId': 'req-1' } });
  expect(calls).toHaveLength(1);
  expect(calls[0]!.arn).toBe(FUNCTION_ARN);
  expect(calls[0]!.event).toMatchObject({
    resource: '/items/{id}',
    path: '/items/42',
    httpMethod: 'GET',
    pathParameters: { id: '42' },
    queryStringParameters: { q: '1' },
    body: null,
    requestContext: { apiId: 'abc123', stage: 'prod', resourceId: 'r1', resourcePath: '/items/{id}', path: '/prod/items/42', requestId: 'req-1' },
  });
});

it('answers as API Gateway when the stage serves nothing: no API 404, no stage 403 Forbidden, no route 403 Missing Authentication Token', async () => {
  const { api, calls } = backend(proxy, () => answered({ statusCode: 200 }));
  const answer = (apiId: string, stage: string, path: string, method = 'GET') => serveApi(api, { ...request(path), apiId, stage }, req(method), none, 'id');
  expect(await answer('nope', 'prod', '/items/1')).toMatchObject({ statusCode: 404 });
  expect(json((await answer('abc123', 'test', '/items/1')).body)).toEqual({ message: 'Forbidden' });
  expect((await answer('abc123', 'test', '/items/1')).statusCode).toBe(403);
  const missing = await answer('abc123', 'prod', '/items/1', 'DELETE');
  expect(missing.statusCode).toBe(403);
  expect(json(missing.body)).toEqual({ message: 'Missing Authentication Token' });
  expect(calls).toEqual([]);
});

it('answers 500 with a clear reason for an unknown function or an integration it does not serve', async () => {
  const unknown = backend(proxy, (): Promise<InvokeResult> =>
    Promise.resolve({ ok: false, errorType: 'ResourceNotFoundException', errorMessage: 'Function not found', requestId: 'r' }),
  );
  const missing = await serveApi(unknown.api, request('/items/1'), req('GET'), none, 'id');
  expect(missing.statusCode).toBe(500);
  expect(json(missing.body)).toEqual({
    message: 'Internal server error',
    reason: expect.stringContaining(`invokes ${FUNCTION_ARN}, which does not exist`) as unknown,
  });

  const mock = backend({ type: 'MOCK', timeoutInMillis: 29_000 }, () => answered({ statusCode: 200 }));
  const answer = await serveApi(mock.api, request('/items/1'), req('GET'), none, 'id');
  expect(answer.statusCode).toBe(500);
  expect(json(answer.body).reason).toContain('has MOCK');
  expect(mock.calls).toEqual([]);
});

it('gives up after the integration’s deployed timeout (504), and answers a throttle as API Gateway does', async () => {
  jest.useFakeTimers();
  try {
    const slow = backend(
      { ...proxy, timeoutInMillis: 100 },
      () => new Promise((resolve) => setTimeout(() => resolve({ ok: true, result: {}, requestId: 'r' }), 1_000)),
    );
    let late: Awaited<ReturnType<typeof serveApi>> | undefined;
    void serveApi(slow.api, request('/items/1'), req('GET'), none, 'id').then((answer) => (late = answer));
    await jest.advanceTimersByTimeAsync(99);
    expect(late).toBeUndefined();
    // At the integration's timeout, not the backend's answer 900 ms later.
    await jest.advanceTimersByTimeAsync(1);
    expect(late?.statusCode).toBe(504);
  } finally {
    jest.useRealTimers();
  }

  const busy = backend(proxy, (): Promise<InvokeResult> =>
    Promise.resolve({ ok: false, errorType: 'TooManyRequestsException', errorMessage: 'Rate Exceeded.', requestId: 'r' }),
  );
  const throttled = await serveApi(busy.api, request('/items/1'), req('GET'), none, 'id');
  expect(throttled.statusCode).toBe(500);
  expect(json(throttled.body).reason).toContain('all 4 of its concurrent executions were busy');
  expect(busy.lines).toEqual(['API Gateway GET /prod/items/1 => 500 (Lambda throttled Items: 429 TooManyRequestsException, Rate Exceeded.)']);
});

describe('the request body the function gets, as API Gateway hands it over', () => {
  // "café" with the é as the single ISO-8859-1 byte 0xE9, which is not UTF-8.
  const latin1 = Buffer.concat([Buffer.from('{"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
  const latin1Json = { 'content-type': 'application/json; charset=latin1' };

  async function eventFor(body: Buffer, headers: Record<string, string>, binaryMediaTypes: string[] = []) {
    const { api, calls } = backend(proxy, () => answered({ statusCode: 200 }), binaryMediaTypes);
    await serveApi(api, request('/items/1'), req('POST', headers), body, 'id');
    return calls[0]!.event;
  }

  it('base64-encodes a body whose Content-Type is one of the deployment’s binaryMediaTypes, byte for byte', async () => {
    const event = await eventFor(latin1, latin1Json, ['image/png', 'application/*']);
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body!, 'base64')).toEqual(latin1);
  });

  it('hands any other body over as UTF-8 text, bytes that are not UTF-8 replaced by U+FFFD as API Gateway does', async () => {
    expect(await eventFor(latin1, latin1Json)).toMatchObject({ body: '{"name":"caf\ufffd"}', isBase64Encoded: false });
    expect(await eventFor(latin1, {}, ['application/*'])).toMatchObject({ body: '{"name":"caf\ufffd"}', isBase64Encoded: false });
    expect(await eventFor(Buffer.from('{"name":"café 🙂"}'), latin1Json, ['image/*'])).toMatchObject({ body: '{"name":"café 🙂"}', isBase64Encoded: false });
    expect(await eventFor(none, latin1Json, ['application/*'])).toMatchObject({ body: null, isBase64Encoded: false });
  });

  it.each([
    ['application/json', ['application/json'], true],
    ['Application/JSON; charset=latin1', ['application/json'], true],
    ['application/merge-patch+json', ['application/*'], true],
    ['text/plain', ['*/*'], true],
    ['application/json', ['application/octet-stream', 'image/*'], false],
    ['application/json', ['*/json'], false],
    ['application/json', [], false],
    [undefined, ['*/*'], false],
    ['json', ['*/*'], false],
  ])('Content-Type %s against binaryMediaTypes %j: binary %s', (contentType, binaryMediaTypes, binary) => {
    expect(isBinaryMediaType(contentType, binaryMediaTypes)).toBe(binary);
  });
});
