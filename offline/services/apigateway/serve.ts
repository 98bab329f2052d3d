/**
 * API Gateway (REST, Lambda proxy integration) for the product API: the v1 proxy event, and API
 * Gateway's own answers for unknown routes, function errors and integration timeouts (the URL
 * forms LocalStack serves are read in offline/protocol/http-api.ts).
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { localstack } from '#spec';
import { FUNCTION_NOT_FOUND, type InvokeResult, isThrottled, STOPPING_ERROR } from '../lambda/function';
import type { DeployedRoute, RouteLookup } from './model';
import { type ApiRequest, type HttpAnswer, stoppingAnswer } from '../../protocol/http-api';

const json = (statusCode: number, message: string, requestId: string): HttpAnswer => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId },
  body: JSON.stringify({ message }),
});

/**
 * API Gateway's answer when Lambda throttles the proxy integration's function (the Invoke API
 * answers 429 TooManyRequestsException, "Rate Exceeded."): a 500, its INTEGRATION_FAILURE
 * gateway response, `{"message": "Internal server error"}` and x-amzn-ErrorType
 * InternalServerErrorException; its execution log says "Execution failed due to configuration
 * error: Rate Exceeded." API Gateway never retries the invocation ("Handling Lambda errors with
 * an API Gateway API", AWS Lambda Developer Guide). The function never ran, so nothing was
 * stored. The status, headers and `message` are AWS's; `reason` (ours) says what happened.
 */
export function throttledAnswer(functionName: string, limit: number, requestId: string): HttpAnswer {
  return {
    statusCode: 500,
    headers: { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId, 'x-amzn-ErrorType': 'InternalServerErrorException' },
    body: JSON.stringify({
      message: 'Internal server error',
      reason:
        `Lambda throttled ${functionName} (429 TooManyRequestsException: Rate Exceeded.): all ${limit} of its concurrent executions were busy. ` +
        'The function did not run and nothing was stored; retry with backoff.',
    }),
  };
}

/** API Gateway's answer when the stage serves nothing for the request: no such API, stage, or resource and method. */
export function missingAnswer(missing: 'api' | 'stage' | 'route', request: ApiRequest, requestId: string): HttpAnswer {
  if (missing === 'api') return json(404, `Not Found: no REST API with id ${request.apiId}`, requestId);
  if (missing === 'stage') return json(403, 'Forbidden', requestId);
  // Like API Gateway, an undefined resource or method is "Missing Authentication Token".
  return json(403, 'Missing Authentication Token', requestId);
}

/**
 * API Gateway's answer when the integration cannot be run (it names no function that exists, or
 * a type the offline runtime does not serve): a 500 with AWS's `message`, as its execution log
 * says "Execution failed due to configuration error"; `reason` (ours) says which.
 */
export function integrationErrorAnswer(reason: string, requestId: string): HttpAnswer {
  return {
    statusCode: 500,
    headers: { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId, 'x-amzn-ErrorType': 'InternalServerErrorException' },
    body: JSON.stringify({ message: 'Internal server error', reason }),
  };
}

/** A media type's type and subtype, lower-cased, without its parameters. */
const mediaType = (value: string) => (value.split(';')[0] ?? '').trim().toLowerCase().split('/');

/**
 * Whether API Gateway treats a request's body as binary: its Content-Type's media type matches
 * one of the API's binaryMediaTypes, exactly, as `type/*`, or as the all-types wildcard; an entry
 * with a wildcard type and a named subtype matches nothing (as on AWS). Without a Content-Type
 * the body is text (as LocalStack has it; AWS does not say).
 */
export function isBinaryMediaType(contentType: string | undefined, binaryMediaTypes: readonly string[]): boolean {
  const [type, subtype, ...rest] = mediaType(contentType ?? '');
  if (!type || !subtype || rest.length > 0) return false;
  return binaryMediaTypes.some((entry) => {
    const [binaryType, binarySubtype] = mediaType(entry);
    if (binaryType === '*') return binarySubtype === '*';
    return binaryType === type && (binarySubtype === '*' || binarySubtype === subtype);
  });
}

/**
 * The body as API Gateway hands it to a Lambda proxy integration ("Content type conversions in
 * API Gateway"): a binary media type's bytes base64-encoded, anything else as UTF-8 text, where
 * AWS puts U+FFFD in place of bytes that are not UTF-8 (so does Buffer#toString).
 */
function eventBody(body: Buffer, contentType: string | undefined, binaryMediaTypes: readonly string[]): Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'> {
  if (body.byteLength === 0) return { body: null, isBase64Encoded: false };
  if (isBinaryMediaType(contentType, binaryMediaTypes)) return { body: body.toString('base64'), isBase64Encoded: true };
  return { body: body.toString('utf8'), isBase64Encoded: false };
}

/** The v1 proxy event for a request the deployed `route` serves. */
export function proxyEvent(
  route: DeployedRoute,
  request: ApiRequest,
  method: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
  sourceIp: string,
  requestId: string,
): APIGatewayProxyEvent {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    single[key] = values[values.length - 1] ?? '';
    multi[key] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [key, value] of request.query) {
    query[key] = value;
    (multiQuery[key] ??= []).push(value);
  }
  return {
    resource: route.resourcePath,
    path: request.path,
    httpMethod: method,
    headers: single,
    multiValueHeaders: multi,
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length > 0 ? multiQuery : null,
    pathParameters: route.pathParameters,
    stageVariables: null,
    ...eventBody(body, headers['content-type'], route.binaryMediaTypes),
    requestContext: {
      accountId: localstack.accountId,
      apiId: request.apiId,
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: { sourceIp, userAgent: single['user-agent'] ?? null } as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/${request.stage}${request.path}`,
      stage: request.stage,
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: route.resourceId,
      resourcePath: route.resourcePath,
    },
  };
}

/** Maps what the function returned (or how it failed) to the HTTP answer API Gateway gives. */
export function proxyAnswer(outcome: { ok: true; result: unknown } | { ok: false; timedOut: boolean }, requestId: string): HttpAnswer {
  if (!outcome.ok) return outcome.timedOut ? json(504, 'Endpoint request timed out', requestId) : json(502, 'Internal server error', requestId);
  const result = outcome.result as Partial<APIGatewayProxyResult> | null;
  if (!result || typeof result.statusCode !== 'number') return json(502, 'Internal server error', requestId);
  const headers: Record<string, string | string[]> = { 'x-amzn-RequestId': requestId };
  for (const [key, value] of Object.entries(result.headers ?? {})) headers[key] = String(value);
  for (const [key, values] of Object.entries(result.multiValueHeaders ?? {})) headers[key] = values.map(String);
  const body = result.body ?? '';
  return { statusCode: result.statusCode, headers, body: result.isBase64Encoded ? Buffer.from(body, 'base64') : body };
}

/** What API Gateway serves requests from: the deployed stages, and the functions they invoke. */
export interface ApiBackend {
  route(apiId: string, stage: string, method: string, path: string): RouteLookup;
  invoke(functionArn: string, event: unknown): Promise<InvokeResult>;
  concurrencyLimit(functionArn: string): number;
  log(line: string): void;
}

/** Answers an API request as the deployed stage does: its route's Lambda proxy integration, or API Gateway's own answer. */
export async function serveApi(backend: ApiBackend, request: ApiRequest, req: IncomingMessage, body: Buffer, requestId: string): Promise<HttpAnswer> {
  const method = req.method ?? 'GET';
  const lookup = backend.route(request.apiId, request.stage, method, request.path);
  if ('missing' in lookup) return missingAnswer(lookup.missing, request, requestId);
  const { route } = lookup;
  const { functionArn, type, timeoutInMillis } = route.integration;
  if (type !== 'AWS_PROXY' || functionArn === undefined) {
    return integrationErrorAnswer(
      `The offline runtime serves Lambda proxy integrations (AWS_PROXY to a function) only; ${route.httpMethod} ${route.resourcePath} has ${type} to ${route.integration.uri ?? 'nothing'}.`,
      requestId,
    );
  }
  const event = proxyEvent(route, request, method, req.headers, body, req.socket.remoteAddress ?? '127.0.0.1', requestId);
  // API Gateway stops waiting after the integration's timeout; the invocation runs on until its own ends it.
  const integrationTimeout = new AbortController();
  const outcome = await Promise.race([backend.invoke(functionArn, event), sleep(timeoutInMillis, 'timeout' as const, { signal: integrationTimeout.signal })]);
  integrationTimeout.abort();
  if (outcome === 'timeout') return proxyAnswer({ ok: false, timedOut: true }, requestId);
  if (!outcome.ok && outcome.errorType === STOPPING_ERROR) return stoppingAnswer(requestId, false);
  if (!outcome.ok && outcome.errorType === FUNCTION_NOT_FOUND) {
    return integrationErrorAnswer(`The integration of ${route.httpMethod} ${route.resourcePath} invokes ${functionArn}, which does not exist.`, requestId);
  }
  if (isThrottled(outcome)) {
    const name = functionArn.split(':').pop() ?? functionArn;
    backend.log(`API Gateway ${method} /${request.stage}${request.path} => 500 (Lambda throttled ${name}: 429 TooManyRequestsException, Rate Exceeded.)`);
    return throttledAnswer(name, backend.concurrencyLimit(functionArn), requestId);
  }
  return proxyAnswer(outcome.ok ? outcome : { ok: false, timedOut: false }, requestId);
}
