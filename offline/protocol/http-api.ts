/**
 * The product API's requests and answers as the edge sees them: the URL forms LocalStack serves a
 * REST API under, and API Gateway's answer to a request the runtime stops before it is served.
 */
import { randomUUID } from 'node:crypto';

export interface ApiRequest {
  apiId: string;
  stage: string;
  /** The resource path after the stage, e.g. /productApi. */
  path: string;
  query: URLSearchParams;
}

export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: string | Buffer;
}

const splitStage = (apiId: string, rest: string, query: URLSearchParams): ApiRequest | undefined => {
  const match = /^\/([^/]+)(\/.*)?$/.exec(rest);
  return match?.[1] ? { apiId, stage: match[1], path: match[2] ?? '/', query } : undefined;
};

/** Recognises http://<id>.execute-api.localhost.localstack.cloud:4566/<stage>/<path> and the two path styles. */
export function matchApiRequest(host: string | undefined, rawUrl: string): ApiRequest | undefined {
  const url = new URL(rawUrl, 'http://localhost');
  const hostMatch = /^([a-z0-9]+)\.execute-api\./i.exec(host ?? '');
  if (hostMatch?.[1]) return splitStage(hostMatch[1], url.pathname, url.searchParams);
  const pathStyle = /^\/_aws\/execute-api\/([^/]+)(\/.*)$/.exec(url.pathname);
  if (pathStyle?.[1] && pathStyle[2]) return splitStage(pathStyle[1], pathStyle[2], url.searchParams);
  const legacy = /^\/restapis\/([^/]+)\/([^/]+)\/_user_request_(\/.*)?$/.exec(url.pathname);
  if (legacy?.[1] && legacy[2]) return { apiId: legacy[1], stage: legacy[2], path: legacy[3] ?? '/', query: url.searchParams };
  return undefined;
}

/** The answer to an API request once the runtime is stopping: not run, or cut short when the wait for it ran out. */
export function stoppingAnswer(requestId: string, started: boolean): HttpAnswer {
  const message = started
    ? 'The offline runtime stopped before this request finished: its outcome is unknown, and nothing persists between runs.'
    : 'The offline runtime is stopping: this request was not run. Nothing persists between runs; send it again after the next start.';
  return {
    statusCode: 503,
    headers: { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId, 'x-amzn-ErrorType': 'ServiceUnavailableException', Connection: 'close' },
    body: JSON.stringify({ message }),
  };
}

/** API Gateway's id for one request (x-amzn-RequestId). */
export const newRequestId = () => randomUUID();
